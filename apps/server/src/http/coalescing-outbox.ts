/** One frame waiting for a subscriber's socket, with what coalescing needs to know about it. */
export interface OutboxEntry<T> {
  /** The event type (`status`, `done`, ...); a comment or heartbeat has its own kind. */
  kind: string;
  payload: T;
}

/**
 * Kinds a newer frame of the same kind makes useless: a `status` is a full snapshot and a preview
 * a full image. `done`, `images`, `error` and `warning` carry something the next frame does not.
 */
export const SUPERSEDED_KINDS: ReadonlySet<string> = new Set(['status', 'preview', 'heartbeat']);

/**
 * The frames one subscriber has not been sent yet, in order. While its socket is not draining a
 * new `status` (or preview) replaces the one still waiting: the latest wins. Entries are only ever
 * removed, never reordered, so ids stay increasing and nothing else is dropped.
 */
export class CoalescingOutbox<T> {
  #items: OutboxEntry<T>[] = [];
  #dropped = 0;

  /** Appends `entry`; with `coalesce`, first removes a waiting entry of the same superseded kind. */
  push(entry: OutboxEntry<T>, coalesce: boolean): void {
    if (coalesce && SUPERSEDED_KINDS.has(entry.kind)) {
      // At most one waits per kind, since each push of that kind removed the one before.
      const old = this.#items.findIndex((e) => e.kind === entry.kind);
      if (old >= 0) {
        this.#items.splice(old, 1);
        this.#dropped++;
      }
    }
    this.#items.push(entry);
  }

  /** Keeps only the newest waiting entry of each superseded kind (the socket just stopped draining). */
  compact(): void {
    const newest = new Map<string, OutboxEntry<T>>();
    for (const e of this.#items) if (SUPERSEDED_KINDS.has(e.kind)) newest.set(e.kind, e);
    if (newest.size === 0) return;
    const before = this.#items.length;
    this.#items = this.#items.filter((e) => !SUPERSEDED_KINDS.has(e.kind) || newest.get(e.kind) === e);
    this.#dropped += before - this.#items.length;
  }

  /** The oldest waiting entry, removed. */
  shift(): OutboxEntry<T> | undefined {
    return this.#items.shift();
  }

  get size(): number {
    return this.#items.length;
  }

  /** Entries replaced by newer ones so far (metrics, tests). */
  get dropped(): number {
    return this.#dropped;
  }
}
