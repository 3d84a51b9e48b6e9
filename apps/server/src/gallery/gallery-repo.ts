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
  const byOwnerHash = db.prepare('SELECT * FROM gallery WHERE created_by = ? AND hash = ?');
  const anyByHash = db.prepare('SELECT * FROM gallery WHERE hash = ? LIMIT 1');
  const byId = db.prepare('SELECT * FROM gallery WHERE id = ?');
  const countByPath = db.prepare('SELECT COUNT(*) AS n FROM gallery WHERE path = ?');
  // `@owner IS NULL` lists everyone's items (admins); otherwise one owner's.
  const scope = '(@owner IS NULL OR created_by = @owner)';
  const firstPage = db.prepare(
    `SELECT * FROM gallery WHERE ${scope} ORDER BY created_at DESC, id DESC LIMIT @limit`,
  );
  const nextPage = db.prepare(
    `SELECT * FROM gallery WHERE ${scope} AND (created_at, id) < (@at, @id) ORDER BY created_at DESC, id DESC LIMIT @limit`,
  );
  return {
    insert(row: GalleryRow): void {
      insert.run(row);
    },
    /** The owner's item for these bytes (dedup is per owner). */
    byOwnerHash(owner: number, hash: string): GalleryRow | undefined {
      return byOwnerHash.get(owner, hash) as GalleryRow | undefined;
    },
    /** Any item over these bytes, whoever owns it: a file to link to instead of storing a copy. */
    anyByHash(hash: string): GalleryRow | undefined {
      return anyByHash.get(hash) as GalleryRow | undefined;
    },
    byId(id: string): GalleryRow | undefined {
      return byId.get(id) as GalleryRow | undefined;
    },
    /** How many items reference a stored file (same-day items of several owners share one). */
    countByPath(rel: string): number {
      return (countByPath.get(rel) as { n: number }).n;
    },
    /** Newest first; `owner` null pages over every owner's items. */
    page(owner: number | null, after: [string, string] | null, limit: number): GalleryRow[] {
      return (
        after ? nextPage.all({ owner, at: after[0], id: after[1], limit }) : firstPage.all({ owner, limit })
      ) as GalleryRow[];
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
