import type { GalleryItem } from '@comfy-gateway/schema';
import type { Db } from '../db/open-db.ts';

export interface GalleryRow extends GalleryItem {
  created_by: number | null;
}

/** Opaque cursor: the last item's (created_at, id), base64url so clients do not parse it. */
export function encodeCursor(item: { created_at: string; id: string }): string {
  return Buffer.from(JSON.stringify([item.created_at, item.id])).toString('base64url');
}

/** The position a cursor names, or null when it is not one of ours. */
export function decodeCursor(cursor: string): [string, string] | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string')
      return [v[0], v[1]];
  } catch {
    // falls through: not a cursor we issued
  }
  return null;
}

/** The SQLite index of the gallery; the sidecars on disk are the source of truth. */
export function createGalleryRepo(db: Db) {
  const insertSql = `INSERT INTO gallery (id, hash, prompt_id, path, sidecar_path, mime, size, width, height, caption, created_at, created_by)
    VALUES (@id, @hash, @prompt_id, @path, @sidecar_path, @mime, @size, @width, @height, @caption, @created_at, @created_by)`;
  const insert = db.prepare(insertSql);
  const byHash = db.prepare('SELECT * FROM gallery WHERE hash = ?');
  const byId = db.prepare('SELECT * FROM gallery WHERE id = ?');
  const firstPage = db.prepare('SELECT * FROM gallery ORDER BY created_at DESC, id DESC LIMIT ?');
  const nextPage = db.prepare(
    'SELECT * FROM gallery WHERE (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT ?',
  );
  return {
    insert(row: GalleryRow): void {
      insert.run(row);
    },
    byHash(hash: string): GalleryRow | undefined {
      return byHash.get(hash) as GalleryRow | undefined;
    },
    byId(id: string): GalleryRow | undefined {
      return byId.get(id) as GalleryRow | undefined;
    },
    page(after: [string, string] | null, limit: number): GalleryRow[] {
      return (after ? nextPage.all(after[0], after[1], limit) : firstPage.all(limit)) as GalleryRow[];
    },
    remove(id: string): void {
      db.prepare('DELETE FROM gallery WHERE id = ?').run(id);
    },
    count(): number {
      return (db.prepare('SELECT COUNT(*) AS n FROM gallery').get() as { n: number }).n;
    },
    /** Replaces the whole index in one transaction. */
    replaceAll(rows: readonly GalleryRow[]): void {
      db.transaction(() => {
        db.prepare('DELETE FROM gallery').run();
        for (const row of rows) insert.run(row);
      })();
    },
  };
}

export type GalleryRepo = ReturnType<typeof createGalleryRepo>;

/** The public item (without `created_by`). */
export function toItem(row: GalleryRow): GalleryItem {
  const { created_by: _createdBy, ...item } = row;
  return item;
}
