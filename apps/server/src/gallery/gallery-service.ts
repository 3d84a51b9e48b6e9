import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, link, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type {
  GalleryDetail,
  GalleryList,
  GallerySidecar,
  GalleryUserFilter,
  IngestResult,
  User,
} from '@comfy-gateway/schema';
import type { Clock } from '../auth/user-rows.ts';
import { systemClock } from '../auth/user-rows.ts';
import type { Db } from '../db/open-db.ts';
import { isUniqueViolation } from '../db/unique-violation.ts';
import { GatewayError, fieldError } from '../errors.ts';
import { listScope, mayAccess } from './gallery-access.ts';
import type { Viewer } from './gallery-access.ts';
import { createGalleryRepo, decodeCursor, encodeCursor, toItem } from './gallery-repo.ts';
import type { GalleryRow } from './gallery-repo.ts';
import { EXTENSION } from './image-info.ts';
import { listSidecars, readSidecar, rowFromSidecar, writeJsonAtomic } from './sidecar.ts';
import { stageUpload } from './stage-upload.ts';
import type { StagedUpload } from './stage-upload.ts';

export type GallerySource = NonNullable<GallerySidecar['source']>;

/** Provenance that comes with an upload. */
export interface IngestMeta {
  promptId: string | null;
  workflow: Record<string, unknown> | null;
  metadata: Record<string, unknown> | null;
  originalName: string | null;
  user: Pick<User, 'id' | 'email'>;
  source?: GallerySource | null;
}

export type GalleryService = Awaited<ReturnType<typeof createGalleryService>>;

/** A stored file about to be sent; `open()` only once the body will really be written. */
export interface GalleryFile {
  mime: string;
  size: number;
  hash: string;
  name: string;
  open(): Readable;
}

const IMAGE_NAME = /^comfy_[0-9a-f]{16}\.(png|jpg|webp)$/;

/**
 * The gallery under `rootDir/generated/comfy/YYYY-MM-DD/` (design §8). Clears the temp dir and,
 * when the index is empty, rebuilds it from the sidecars before answering. Every item has an
 * owner and its own sidecar `comfy_<item id>.json`; dedup is per owner. Items of several owners
 * over the same bytes share one stored file `comfy_<hash16>.<ext>` (hard-linked into each item's
 * day), which is removed only when no item references it.
 */
export async function createGalleryService(opts: {
  rootDir: string;
  db: Db;
  maxBytes: number;
  clock?: Clock;
}) {
  const clock = opts.clock ?? systemClock;
  const repo = createGalleryRepo(opts.db);
  const galleryDir = path.join(opts.rootDir, 'generated', 'comfy');
  const tmpDir = path.join(opts.rootDir, 'generated', '.tmp');
  const abs = (rel: string) => path.join(opts.rootDir, ...rel.split('/'));
  // Same bytes arriving twice at once: the second waits and then sees the first's row.
  const locks = new Map<string, Promise<unknown>>();

  async function withHashLock<T>(hash: string, fn: () => Promise<T>): Promise<T> {
    const prev = locks.get(hash) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const settled = run.catch(() => undefined);
    locks.set(hash, settled);
    try {
      return await run;
    } finally {
      if (locks.get(hash) === settled) locks.delete(hash);
    }
  }

  /** The item if the viewer may see it; someone else's answers exactly like a missing one. */
  async function requireRow(id: string, viewer: Viewer): Promise<GalleryRow> {
    const row = await repo.byId(id);
    if (!row || !mayAccess(viewer, row.created_by))
      throw new GatewayError('NOT_FOUND', `gallery item ${id} not found`);
    return row;
  }

  /** Stores the staged bytes at `rel`, sharing another owner's stored file when there is one. */
  async function place(staged: StagedUpload, rel: string): Promise<void> {
    if ((await repo.countByPath(rel)) > 0) return service.discard(staged);
    // A link, not the twin's path: an item's path must not tell when someone else stored the bytes.
    const twin = await repo.anyByHash(staged.hash);
    const linked =
      twin !== undefined &&
      (await link(abs(twin.path), abs(rel)).then(
        () => true,
        () => false,
      ));
    if (linked) await service.discard(staged);
    // No twin, or a filesystem without hard links: keep a copy of our own.
    else await rename(staged.tmpPath, abs(rel));
  }

  const service = {
    tmpDir,
    galleryDir,

    /** Streams an upload to the temp dir; `commit` or `discard` it next. */
    stage(stream: Readable, stageOpts: { drainOnError?: boolean } = {}): Promise<StagedUpload> {
      return stageUpload(stream, { tmpDir, maxBytes: opts.maxBytes, ...stageOpts });
    },

    /** Drops a staged upload that will not be committed. */
    async discard(staged: StagedUpload): Promise<void> {
      await rm(staged.tmpPath, { force: true });
    },

    /** Moves a staged upload into the gallery, or answers the owner's existing item for the same bytes. */
    commit(staged: StagedUpload, meta: IngestMeta): Promise<IngestResult> {
      return withHashLock(staged.hash, async () => {
        const existing = await repo.byOwnerHash(meta.user.id, staged.hash);
        if (existing) {
          await service.discard(staged);
          return { ...toItem(existing), deduplicated: true };
        }
        const now = new Date(clock.now());
        // Random, not derived from the bytes: an id must not tell whether someone else has them.
        const id = randomBytes(8).toString('hex');
        const relDir = `generated/comfy/${now.toISOString().slice(0, 10)}`;
        const name = `comfy_${staged.hash.slice(0, 16)}.${EXTENSION[staged.mime]}`;
        const sidecar: GallerySidecar = {
          version: 1,
          id,
          hash: staged.hash,
          prompt_id: meta.promptId,
          workflow: meta.workflow,
          metadata: meta.metadata,
          file: {
            name,
            path: `${relDir}/${name}`,
            size: staged.size,
            mime: staged.mime,
            width: staged.width,
            height: staged.height,
            original_name: meta.originalName,
          },
          ingested_by: { user_id: meta.user.id, email: meta.user.email },
          ingested_at: now.toISOString(),
          source: meta.source ?? null,
        };
        const relSidecar = `${relDir}/comfy_${id}.json`;
        await mkdir(abs(relDir), { recursive: true });
        // Image first, sidecar last: a crash in between leaves an image the rebuild ignores.
        await place(staged, sidecar.file.path);
        await writeJsonAtomic(abs(relSidecar), sidecar, tmpDir);
        const row = rowFromSidecar(sidecar, relSidecar);
        try {
          await repo.insert(row);
        } catch (err) {
          // Another instance sharing the database won the race: keep its item, drop ours.
          const winner = isUniqueViolation(err)
            ? await repo.byOwnerHash(meta.user.id, staged.hash)
            : undefined;
          if (!winner) throw err;
          await rm(abs(relSidecar), { force: true });
          if ((await repo.countByPath(row.path)) === 0) await rm(abs(row.path), { force: true });
          return { ...toItem(winner), deduplicated: true };
        }
        return { ...toItem(row), deduplicated: false };
      });
    },

    /** Stage + commit in one call, for callers that have all provenance up front. */
    async ingestStream(input: IngestMeta & { stream: Readable }): Promise<IngestResult> {
      const staged = await service.stage(input.stream);
      try {
        return await service.commit(staged, input);
      } catch (err) {
        await service.discard(staged);
        throw err;
      }
    },

    /** The viewer's items (admins: everyone's, or `user`'s), newest first; `next_cursor` null on the last page. */
    async list(
      input: { cursor?: string | undefined; limit: number; user?: GalleryUserFilter | undefined },
      viewer: Viewer,
    ): Promise<GalleryList> {
      const owner = listScope(viewer, input.user);
      const after = input.cursor === undefined ? null : decodeCursor(input.cursor);
      if (input.cursor !== undefined && !after) throw fieldError('cursor', 'not a valid cursor');
      const rows = await repo.page(owner, after, input.limit + 1);
      const items = rows.slice(0, input.limit).map(toItem);
      const last = items.at(-1);
      return { items, next_cursor: rows.length > input.limit && last ? encodeCursor(last) : null };
    },

    /** One item with its sidecar (owner or admin; 404 for anyone else). */
    async get(id: string, viewer: Viewer): Promise<GalleryDetail> {
      const row = await requireRow(id, viewer);
      const sidecar = await readSidecar(abs(row.sidecar_path));
      if (!sidecar) throw new GatewayError('INTERNAL', `sidecar of ${id} is missing or invalid`);
      return { ...toItem(row), sidecar };
    },

    /** What the response headers need; the file is opened by `open()`, not here. */
    async fileOf(id: string, viewer: Viewer): Promise<GalleryFile> {
      const row = await requireRow(id, viewer);
      const file = abs(row.path);
      const st = await stat(file).catch(() => null);
      if (!st) throw new GatewayError('NOT_FOUND', `file of gallery item ${id} is missing`);
      return {
        mime: row.mime,
        size: st.size,
        hash: row.hash,
        name: path.basename(file),
        open: () => createReadStream(file),
      };
    },

    /** Deletes the item's sidecar and row, and its file once no other item references it. */
    async remove(id: string, viewer: Viewer): Promise<void> {
      const row = await requireRow(id, viewer);
      // Under the hash lock, so a concurrent ingest never shares a file being removed.
      await withHashLock(row.hash, async () => {
        await rm(abs(row.sidecar_path), { force: true });
        await repo.remove(id);
        if ((await repo.countByPath(row.path)) === 0) await rm(abs(row.path), { force: true });
      });
    },

    /** Re-creates the database index from the sidecars (and their images) on disk. */
    async rebuildIndex(): Promise<{ indexed: number; skipped: number }> {
      const rows: GalleryRow[] = [];
      const seen = new Set<string>();
      let skipped = 0;
      for (const rel of await listSidecars(opts.rootDir, galleryDir)) {
        const s = await readSidecar(abs(rel));
        const row = s && IMAGE_NAME.test(s.file.name) ? rowFromSidecar(s, rel) : null;
        const present = row
          ? await access(abs(row.path)).then(
              () => true,
              () => false,
            )
          : false;
        const ownerHash = row ? `${row.created_by ?? ''}:${row.hash}` : '';
        if (!row || !present || seen.has(ownerHash) || seen.has(row.id)) {
          skipped++;
          continue;
        }
        seen.add(ownerHash).add(row.id);
        rows.push(row);
      }
      await repo.replaceAll(rows);
      return { indexed: rows.length, skipped };
    },
  };

  await rm(tmpDir, { recursive: true, force: true });
  await mkdir(tmpDir, { recursive: true });
  await mkdir(galleryDir, { recursive: true });
  if ((await repo.count()) === 0) await service.rebuildIndex();
  return service;
}
