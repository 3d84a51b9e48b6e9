import { describe, expect, it } from 'vitest';
import { DIALECTS, testDatabases } from '../../test/db-dialects.ts';
import { isUniqueViolation } from '../db/unique-violation.ts';
import { createGalleryRepo } from './gallery-repo.ts';
import type { GalleryRow } from './gallery-repo.ts';

const dbs = testDatabases();

const row = (id: string, o: Partial<GalleryRow> = {}): GalleryRow => ({
  id,
  hash: `h-${id}`,
  prompt_id: null,
  path: `generated/comfy/2026-01-01/${id}.png`,
  sidecar_path: `generated/comfy/2026-01-01/comfy_${id}.json`,
  mime: 'image/png',
  size: 10,
  width: 8,
  height: 8,
  caption: null,
  created_at: '2026-01-01T00:00:00.000Z',
  created_by: 1,
  ...o,
});

describe.each(DIALECTS)('gallery index on %s', (dialect) => {
  it('dedups per owner through the unique constraint and counts references to a stored file', async () => {
    await using t = await dbs.open(dialect);
    const repo = createGalleryRepo(t.db);
    await repo.insert(row('a', { hash: 'same', path: 'shared.png' }));
    await repo.insert(row('b', { hash: 'same', path: 'shared.png', created_by: 2 }));
    const dup = await repo.insert(row('c', { hash: 'same' })).catch((e: unknown) => e);
    expect(isUniqueViolation(dup)).toBe(true);
    expect((await repo.byOwnerHash(2, 'same'))?.id).toBe('b');
    expect((await repo.anyByHash('same'))?.hash).toBe('same');
    expect(await repo.countByPath('shared.png')).toBe(2);
    await repo.remove('a');
    expect(await repo.countByPath('shared.png')).toBe(1);
    expect(await repo.byId('a')).toBeUndefined();
    expect(await repo.count()).toBe(1);
  });

  it('pages newest first by (created_at, id), per owner or over everyone', async () => {
    await using t = await dbs.open(dialect);
    const repo = createGalleryRepo(t.db);
    const at = (s: number) => `2026-01-01T00:00:0${s}.000Z`;
    await repo.replaceAll([
      row('p1', { created_at: at(1) }),
      row('p2', { created_at: at(2) }),
      row('p3', { created_at: at(2) }),
      row('q1', { created_at: at(3), created_by: 2 }),
    ]);
    expect((await repo.page(null, null, 10)).map((r) => r.id)).toEqual(['q1', 'p3', 'p2', 'p1']);
    expect((await repo.page(1, null, 2)).map((r) => r.id)).toEqual(['p3', 'p2']);
    expect((await repo.page(1, [at(2), 'p3'], 2)).map((r) => r.id)).toEqual(['p2', 'p1']);
    // Replacing is whole: the old rows go.
    await repo.replaceAll([row('only')]);
    expect((await repo.page(null, null, 10)).map((r) => r.id)).toEqual(['only']);
  });
});
