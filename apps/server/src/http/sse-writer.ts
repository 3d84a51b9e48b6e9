import { CoalescingOutbox } from './coalescing-outbox.ts';
import type { SseFrame, SseSink } from './sse-frame.ts';
import { sseWriteBatcher } from './write-batcher.ts';
import type { WriteBatcher } from './write-batcher.ts';

/**
 * Bytes waiting in Node's buffer for one socket past which its reader counts as not keeping up.
 * Far above the 16 KB where `write` first returns false: a burst (a resume replaying a few hundred
 * buffered events) is delivered whole; only a reader that stays behind gets coalesced frames.
 */
export const SSE_BACKLOG_BYTES = 256 * 1024;

/**
 * Writes one stream's frames through the shared write batcher. While the socket is not draining
 * (more than `SSE_BACKLOG_BYTES` wait in Node's buffer) frames wait in a coalescing outbox instead,
 * so a slow reader gets the latest `status` rather than every superseded one, and memory stays bounded.
 * A class, not closures: one of these lives per subscriber.
 */
export class SseWriter {
  readonly #sink: SseSink;
  readonly #batcher: WriteBatcher;
  readonly #outbox = new CoalescingOutbox<SseFrame>();
  #scheduled = false;
  #waitingDrain = false;
  #ending = false;
  #ended = false;
  readonly #flush = (): void => this.#run();
  readonly #drained = (): void => {
    this.#waitingDrain = false;
    this.#kick();
  };

  readonly #backlogBytes: number;

  constructor(sink: SseSink, batcher: WriteBatcher = sseWriteBatcher, backlogBytes = SSE_BACKLOG_BYTES) {
    this.#sink = sink;
    this.#batcher = batcher;
    this.#backlogBytes = backlogBytes;
  }

  /** Queues a frame; `kind` is its event type (see `SUPERSEDED_KINDS` for what may be coalesced). */
  write(frame: SseFrame, kind: string): void {
    if (this.#ending || this.#ended) return;
    this.#outbox.push({ kind, payload: frame }, this.#waitingDrain);
    this.#kick();
  }

  /** Ends the response once every queued frame is written. */
  end(): void {
    if (this.#ending || this.#ended) return;
    this.#ending = true;
    this.#kick();
  }

  /** Frames replaced by newer ones because the socket was not draining. */
  get coalesced(): number {
    return this.#outbox.dropped;
  }

  /** True while the socket is not draining. */
  get congested(): boolean {
    return this.#waitingDrain;
  }

  #kick(): void {
    if (this.#scheduled || this.#waitingDrain || this.#ended) return;
    this.#scheduled = true;
    this.#batcher.schedule(this.#flush);
  }

  #run(): void {
    this.#scheduled = false;
    if (this.#ended) return;
    if (this.#sink.destroyed) {
      // The client is gone: nothing queued will ever be read.
      while (this.#outbox.shift());
      this.#ended = true;
      return;
    }
    // Frames that queued up together (a step's events) reach the kernel in one write.
    const corked = this.#outbox.size > 1;
    if (corked) this.#sink.cork();
    try {
      for (let e = this.#outbox.shift(); e; e = this.#outbox.shift()) {
        // `write` returns false past 16 KB; 'drain' still fires once the buffer empties.
        if (!this.#sink.write(e.payload) && this.#sink.writableLength >= this.#backlogBytes) {
          this.#waitingDrain = true;
          // What queued up before the socket stopped draining is coalesced too.
          this.#outbox.compact();
          this.#sink.once('drain', this.#drained);
          return;
        }
      }
    } finally {
      if (corked) this.#sink.uncork();
    }
    if (this.#ending) {
      this.#ended = true;
      this.#sink.end();
    }
  }
}
