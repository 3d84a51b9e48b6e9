import { errorMessage } from '@comfy-gateway/client';
import type { Settled } from '$lib/api/settle.ts';

/** One page of a cursor-paginated list route (`{ items, next_cursor }`). */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/**
 * A cursor-paginated list whose first page came from a load function and whose later pages load
 * on demand (infinite scroll). An item that moves to a later page while new ones arrive shows once.
 */
export class PagedList<T> {
  #more = $state<T[]>([]);
  // undefined until a later page loaded: the load function's page decides until then.
  #nextCursor = $state<string | null | undefined>(undefined);
  #moreError = $state<string | null>(null);
  loading = $state(false);

  readonly #first: () => Settled<Page<T>>;
  readonly #keyOf: (item: T) => string | number;
  readonly #fetchPage: (cursor: string | null) => Promise<Page<T>>;

  constructor(options: {
    first: () => Settled<Page<T>>;
    keyOf: (item: T) => string | number;
    /** `null` asks for the first page again (after the load function's attempt failed). */
    fetchPage: (cursor: string | null) => Promise<Page<T>>;
  }) {
    this.#first = options.first;
    this.#keyOf = options.keyOf;
    this.#fetchPage = options.fetchPage;
  }

  readonly cursor = $derived.by(() => {
    if (this.#nextCursor !== undefined) return this.#nextCursor;
    const first = this.#first();
    return first.ok ? first.value.next_cursor : null;
  });

  readonly done = $derived.by(() => {
    if (this.#nextCursor !== undefined) return this.#nextCursor === null;
    const first = this.#first();
    return first.ok && first.value.next_cursor === null;
  });

  readonly items = $derived.by(() => {
    const first = this.#first();
    // A scratch set inside one computation, not state: nothing reacts to it.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    const seen = new Set<string | number>();
    return [...(first.ok ? first.value.items : []), ...this.#more].filter((item) => {
      const key = this.#keyOf(item);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  });

  readonly error = $derived.by(() => {
    if (this.#moreError) return this.#moreError;
    const first = this.#first();
    return !first.ok && this.#nextCursor === undefined ? first.error : null;
  });

  async loadMore(): Promise<void> {
    if (this.loading || this.done) return;
    const cursor = this.cursor;
    this.loading = true;
    this.#moreError = null;
    try {
      const page = await this.#fetchPage(cursor);
      this.#more = [...this.#more, ...page.items];
      this.#nextCursor = page.next_cursor;
    } catch (err) {
      this.#moreError = errorMessage(err);
    } finally {
      this.loading = false;
    }
  }
}
