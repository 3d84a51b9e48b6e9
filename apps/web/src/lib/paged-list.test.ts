import { describe, expect, it } from 'vitest';
import type { Settled } from '$lib/api/settle.ts';
import { PagedList } from './paged-list.svelte.ts';
import type { Page } from './paged-list.svelte.ts';

interface Row {
  id: number;
}
const rows = (...ids: number[]): Row[] => ids.map((id) => ({ id }));

function listOver(first: Settled<Page<Row>>, pages: Record<string, Page<Row> | Error>) {
  const asked: (string | null)[] = [];
  const list = new PagedList<Row>({
    first: () => first,
    keyOf: (row) => row.id,
    fetchPage: (cursor) => {
      asked.push(cursor);
      const page = pages[cursor ?? 'first'];
      if (!page) throw new Error(`no page ${cursor}`);
      return page instanceof Error ? Promise.reject(page) : Promise.resolve(page);
    },
  });
  return { list, asked };
}

describe('PagedList', () => {
  it('follows the cursors to the end and shows an item that moved pages once', async () => {
    const { list, asked } = listOver(
      { ok: true, value: { items: rows(1, 2), next_cursor: 'c2' } },
      { c2: { items: rows(2, 3), next_cursor: 'c3' }, c3: { items: rows(4), next_cursor: null } },
    );
    expect(list.done).toBe(false);
    await list.loadMore();
    await list.loadMore();
    expect(list.items.map((r) => r.id)).toEqual([1, 2, 3, 4]);
    expect(list.done).toBe(true);
    await list.loadMore();
    expect(asked).toEqual(['c2', 'c3']);
  });

  it('is done at once when the first page has no next cursor', async () => {
    const { list, asked } = listOver({ ok: true, value: { items: rows(1), next_cursor: null } }, {});
    expect(list.done).toBe(true);
    await list.loadMore();
    expect(asked).toEqual([]);
  });

  it('keeps a failed page as an error and retries the same cursor', async () => {
    const pages: Record<string, Page<Row> | Error> = { c2: new Error('gateway down') };
    const { list, asked } = listOver({ ok: true, value: { items: rows(1), next_cursor: 'c2' } }, pages);
    await list.loadMore();
    expect(list.error).toBe('gateway down');
    expect(list.loading).toBe(false);
    pages['c2'] = { items: rows(2), next_cursor: null };
    await list.loadMore();
    expect(list.error).toBeNull();
    expect(list.items.map((r) => r.id)).toEqual([1, 2]);
    expect(asked).toEqual(['c2', 'c2']);
  });

  it('asks for the first page again when the load function failed', async () => {
    const { list, asked } = listOver(
      { ok: false, error: 'offline', status: 0 },
      { first: { items: rows(7), next_cursor: null } },
    );
    expect(list.error).toBe('offline');
    expect(list.done).toBe(false);
    await list.loadMore();
    expect(asked).toEqual([null]);
    expect(list.error).toBeNull();
    expect(list.items.map((r) => r.id)).toEqual([7]);
  });
});
