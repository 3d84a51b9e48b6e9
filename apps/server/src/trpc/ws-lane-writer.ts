import { CoalescingOutbox } from '../http/coalescing-outbox.ts';
import { SSE_BACKLOG_BYTES } from '../http/sse-writer.ts';

/** The part of the upgraded socket the writer uses. */
export interface LaneSocket {
  readonly writableLength: number;
  write(frame: Buffer): boolean;
  on(event: 'drain', listener: () => void): unknown;
}

type Entry = Buffer | (() => void);

/**
 * One socket's lane frames: written straight through while the socket drains; past `backlog`
 * bytes waiting in Node's buffer, each subscription's frames wait in its own outbox, where a newer
 * `status` replaces a waiting one (the latest wins; `done`, `images`, errors and the final
 * `stopped` are never dropped, ids stay in order). The outboxes empty on `drain`.
 */
export class LaneWriter {
  readonly #socket: LaneSocket;
  readonly #backlog: number;
  readonly #waiting = new Map<number | string, CoalescingOutbox<Entry>>();

  constructor(socket: LaneSocket, backlog = SSE_BACKLOG_BYTES) {
    this.#socket = socket;
    this.#backlog = backlog;
    socket.on('drain', () => this.#flush());
  }

  /** A data frame of subscription `id` whose event is of type `kind`. */
  frame(id: number | string, kind: string, frame: Buffer): void {
    const box = this.#waiting.get(id);
    if (!box && this.#socket.writableLength < this.#backlog) {
      this.#socket.write(frame);
      return;
    }
    this.#boxOf(id, box).push({ kind, payload: frame }, true);
  }

  /** Something sent another way (`stopped`, an error) that must stay behind the frames of `id`. */
  after(id: number | string, send: () => void): void {
    const box = this.#waiting.get(id);
    if (box) box.push({ kind: 'end', payload: send }, false);
    else send();
  }

  /** Forgets what waits for `id` (stopped by the client: it reads nothing more of it). */
  drop(id: number | string): void {
    this.#waiting.delete(id);
  }

  /** Entries waiting, over all subscriptions. */
  get waiting(): number {
    let n = 0;
    for (const box of this.#waiting.values()) n += box.size;
    return n;
  }

  #boxOf(id: number | string, box: CoalescingOutbox<Entry> | undefined): CoalescingOutbox<Entry> {
    if (box) return box;
    const created = new CoalescingOutbox<Entry>();
    this.#waiting.set(id, created);
    return created;
  }

  #flush(): void {
    for (const [id, box] of this.#waiting) {
      while (box.size > 0 && this.#socket.writableLength < this.#backlog) {
        const e = box.shift()?.payload;
        if (typeof e === 'function') e();
        else if (e) this.#socket.write(e);
      }
      if (box.size > 0) return;
      this.#waiting.delete(id);
    }
  }
}
