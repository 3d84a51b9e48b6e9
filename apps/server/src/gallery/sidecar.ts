import { randomUUID } from 'node:crypto';
import { readFile, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gallerySidecarSchema } from '@comfy-gateway/schema';
import type { GallerySidecar } from '@comfy-gateway/schema';
import type { GalleryRow } from './gallery-repo.ts';

/** Writes JSON to a temp name in `tmpDir` and renames it into place, so readers never see half. */
export async function writeJsonAtomic(file: string, value: unknown, tmpDir: string): Promise<void> {
  const tmp = path.join(tmpDir, `${randomUUID()}.json.part`);
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { flag: 'wx' });
  await rename(tmp, file);
}

/** Reads and validates a sidecar; null when missing or not a valid sidecar. */
export async function readSidecar(file: string): Promise<GallerySidecar | null> {
  try {
    const parsed = gallerySidecarSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The caption shown in listings: `metadata.caption` when it is a string. */
export function captionOf(metadata: Record<string, unknown> | null): string | null {
  const c = metadata?.['caption'];
  return typeof c === 'string' && c.trim() !== '' ? c : null;
}

/** The index row a sidecar describes; paths are relative to ROOT_DIR. */
export function rowFromSidecar(s: GallerySidecar, relSidecar: string): GalleryRow {
  return {
    id: s.id,
    hash: s.hash,
    prompt_id: s.prompt_id,
    path: path.posix.join(path.posix.dirname(relSidecar), s.file.name),
    sidecar_path: relSidecar,
    mime: s.file.mime,
    size: s.file.size,
    width: s.file.width,
    height: s.file.height,
    caption: captionOf(s.metadata),
    created_at: s.ingested_at,
    created_by: s.ingested_by.user_id,
  };
}

/** Every `comfy_*.json` under `galleryDir/<day>/`, relative to `rootDir` with `/` separators. */
export async function listSidecars(rootDir: string, galleryDir: string): Promise<string[]> {
  const out: string[] = [];
  let days: string[];
  try {
    days = await readdir(galleryDir);
  } catch {
    return out;
  }
  for (const day of days.sort()) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) continue;
    const files = await readdir(path.join(galleryDir, day)).catch(() => [] as string[]);
    for (const f of files.sort()) {
      if (/^comfy_[0-9a-f]{16}\.json$/.test(f)) {
        out.push(
          path
            .relative(rootDir, path.join(galleryDir, day, f))
            .split(path.sep)
            .join('/'),
        );
      }
    }
  }
  return out;
}
