import { createReadStream } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, normalize, resolve } from 'node:path';
import { isInside, parseAnnotated, type FolderType } from '../files/dirs.ts';
import { readMultipart } from './multipart.ts';
import { HttpError, sendJson } from './respond.ts';
import type { Router } from './router.ts';

const MIME: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.bmp': 'image/bmp',
  '.svg': 'image/svg+xml',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mov': 'video/quicktime',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/x-wav',
  '.flac': 'audio/flac',
  '.ogg': 'audio/ogg',
  '.json': 'application/json',
  '.txt': 'text/plain',
  '.glb': 'model/gltf-binary',
};
const TYPES: FolderType[] = ['output', 'input', 'temp'];

/** GET /view (protocol §1.1 rules, in order) and POST /upload/image. */
export function addFileRoutes(router: Router): void {
  router.add('GET', '/view', async ({ url, res, rt }) => {
    const q = url.searchParams;
    const raw = q.get('filename');
    if (raw === null) throw new HttpError(404);
    const ann = parseAnnotated(raw);
    const type = ann.type ?? q.get('type') ?? 'output';
    const name = ann.name;
    if (!name || name.startsWith('/') || name.includes('..')) throw new HttpError(400);
    if (!TYPES.includes(type as FolderType)) throw new HttpError(400);
    const base = rt.config.dirs[type as FolderType];
    let dir = base;
    const sub = q.get('subfolder');
    if (sub) {
      // resolve() treats an absolute subfolder like os.path.join does: it replaces the base.
      dir = resolve(base, sub);
      if (!isInside(base, dir)) throw new HttpError(403);
    }
    const file = join(dir, basename(name));
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) throw new HttpError(404);
    // `preview` and `channel` are accepted but ignored: the original bytes are sent.
    res.writeHead(200, {
      'Content-Type': MIME[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': info.size,
      'Content-Disposition': `filename="${basename(name)}"`,
    });
    await new Promise<void>((done) => {
      const stream = createReadStream(file);
      stream.on('error', () => {
        res.destroy();
        done();
      });
      stream.on('end', () => done());
      stream.pipe(res);
    });
  });

  router.add('POST', '/upload/image', async ({ req, res, rt }) => {
    const form = await readMultipart(req, 'image');
    const file = form.file;
    if (!file || !file.filename) throw new HttpError(400);
    const type = form.fields['type'] || 'input';
    if (!TYPES.includes(type as FolderType))
      throw new HttpError(500, '500 Internal Server Error\n\nServer got itself in trouble');
    const base = rt.config.dirs[type as FolderType];
    const subfolder = form.fields['subfolder'] ?? '';
    const folder = join(base, normalize(subfolder || '.'));
    let filename = file.filename;
    let target = resolve(folder, filename);
    if (!isInside(base, target)) throw new HttpError(400);
    await mkdir(dirname(target), { recursive: true });
    const overwrite = form.fields['overwrite'] === 'true' || form.fields['overwrite'] === '1';
    let duplicate = false;
    if (!overwrite) {
      const ext = extname(file.filename);
      const stem = file.filename.slice(0, file.filename.length - ext.length);
      for (let i = 1; ; i++) {
        const existing = await readFile(target).catch(() => null);
        if (!existing) break;
        if (existing.equals(file.data)) {
          duplicate = true;
          break;
        }
        filename = `${stem} (${i})${ext}`;
        target = resolve(folder, filename);
      }
    }
    if (!duplicate) await writeFile(target, file.data);
    sendJson(res, 200, { name: filename, subfolder, type });
  });
}
