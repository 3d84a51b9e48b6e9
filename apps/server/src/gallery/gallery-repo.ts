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

/** The database index of the gallery; the sidecars on disk are the source of truth. */
export function createGalleryRepo(db: Db) {
  const rows = () => db.selectFrom('gallery').selectAll();
  const countWhere = async (path: string | null) => {
    let q = db.selectFrom('gallery').select((eb) => eb.fn.countAll().as('n'));
    if (path !== null) q = q.where('path', '=', path);
    return Number((await q.executeTakeFirstOrThrow()).n);
  };
  return {
    /** Fails with a unique violation (see `isUniqueViolation`) when the owner already has these bytes. */
    async insert(row: GalleryRow): Promise<void> {
      await db.insertInto('gallery').values(row).execute();
    },
    /** The owner's item for these bytes (dedup is per owner). */
    byOwnerHash(owner: number, hash: string): Promise<GalleryRow | undefined> {
      return rows().where('created_by', '=', owner).where('hash', '=', hash).executeTakeFirst();
    },
    /** Any item over these bytes, whoever owns it: a file to link to instead of storing a copy. */
    anyByHash(hash: string): Promise<GalleryRow | undefined> {
      return rows().where('hash', '=', hash).limit(1).executeTakeFirst();
    },
    byId(id: string): Promise<GalleryRow | undefined> {
      return rows().where('id', '=', id).executeTakeFirst();
    },
    /** How many items reference a stored file (same-day items of several owners share one). */
    countByPath(rel: string): Promise<number> {
      return countWhere(rel);
    },
    /** Newest first; `owner` null pages over every owner's items. */
    page(owner: number | null, after: [string, string] | null, limit: number): Promise<GalleryRow[]> {
      let q = rows();
      if (owner !== null) q = q.where('created_by', '=', owner);
      if (after)
        q = q.where((eb) =>
          eb.or([
            eb('created_at', '<', after[0]),
            eb.and([eb('created_at', '=', after[0]), eb('id', '<', after[1])]),
          ]),
        );
      return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    },
    async remove(id: string): Promise<void> {
      await db.deleteFrom('gallery').where('id', '=', id).execute();
    },
    count(): Promise<number> {
      return countWhere(null);
    },
    /** Replaces the whole index in one transaction. */
    async replaceAll(all: readonly GalleryRow[]): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('gallery').execute();
        // Chunks keep each statement under SQLite's bound-parameter limit.
        for (let i = 0; i < all.length; i += 500)
          await trx
            .insertInto('gallery')
            .values(all.slice(i, i + 500))
            .execute();
      });
    },
  };
}

export type GalleryRepo = ReturnType<typeof createGalleryRepo>;

/** The public item (without `created_by`). */
export function toItem(row: GalleryRow): GalleryItem {
  const { created_by: _createdBy, ...item } = row;
  return item;
}
