import { errorFromResponse } from './errors.ts';
import { createSseParser, readSseStream } from './sse-parser.ts';
import { sleep } from './signals.ts';

export interface FetchEventSourceInit {
  /** Extra request headers (e.g. `Authorization`), resolved before every (re)connect. */
  headers?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
  fetch?: typeof fetch;
  withCredentials?: boolean;
  /** Reconnect delay until the server sends `retry:` (default 1000 ms). */
  reconnectMs?: number;
}

/**
 * An `EventSource` built on `fetch`, for Node (which has none) and for sending headers (which
 * the browser's cannot). Same contract as the standard one: reconnects with `Last-Event-ID`
 * after a network drop, fails for good (CLOSED + `error`) on a non-200 or non-SSE answer.
 */
export class FetchEventSource extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSED = 2;
  readonly url: string;
  readonly withCredentials: boolean;
  readyState = 0;
  readonly #init: FetchEventSourceInit;
  readonly #ac = new AbortController();

  readonly #origin: string;

  constructor(url: string | URL, init: FetchEventSourceInit = {}) {
    super();
    this.url = String(url);
    // A relative URL (same-origin page) takes the page's origin.
    const page = (globalThis as { location?: { href: string } }).location?.href;
    this.#origin = URL.canParse(this.url, page) ? new URL(this.url, page).origin : '';
    this.#init = init;
    this.withCredentials = init.withCredentials ?? false;
    void this.#run();
  }

  close(): void {
    this.readyState = this.CLOSED;
    this.#ac.abort();
  }

  #fail(message: string, error?: unknown): void {
    this.readyState = this.CLOSED;
    this.dispatchEvent(Object.assign(new Event('error'), { message, error }));
  }

  async #run(): Promise<void> {
    const parser = createSseParser();
    let retryMs = this.#init.reconnectMs ?? 1000;
    const signal = this.#ac.signal;
    while (!signal.aborted) {
      let res: Response;
      try {
        const extra =
          typeof this.#init.headers === 'function' ? await this.#init.headers() : (this.#init.headers ?? {});
        const headers: Record<string, string> = {
          accept: 'text/event-stream',
          'cache-control': 'no-store',
          ...extra,
        };
        if (parser.lastEventId) headers['last-event-id'] = parser.lastEventId;
        res = await (this.#init.fetch ?? globalThis.fetch)(this.url, {
          headers,
          signal,
          credentials: this.withCredentials ? 'include' : 'same-origin',
        });
      } catch (err) {
        if (signal.aborted) return;
        await this.#reconnecting(retryMs, err);
        continue;
      }
      const type = res.headers.get('content-type') ?? '';
      if (res.status !== 200 || !type.toLowerCase().startsWith('text/event-stream') || !res.body) {
        const error = res.ok ? null : await errorFromResponse(res);
        if (res.ok) await res.body?.cancel().catch(() => undefined);
        return this.#fail(error?.message ?? `not an event stream (${res.status} ${type})`, error);
      }
      this.readyState = this.OPEN;
      this.dispatchEvent(new Event('open'));
      parser.reset();
      try {
        for await (const item of readSseStream(res.body, parser)) {
          if (signal.aborted) return;
          if (item.type === 'retry') retryMs = item.ms;
          else if (item.type === 'event') {
            this.dispatchEvent(
              new MessageEvent(item.event, {
                data: item.data,
                lastEventId: item.id,
                origin: this.#origin,
              }),
            );
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        await this.#reconnecting(retryMs, err);
        continue;
      }
      if (signal.aborted) return;
      await this.#reconnecting(retryMs, null);
    }
  }

  /** Announces the drop (`error` while CONNECTING), then waits before the next attempt. */
  async #reconnecting(delayMs: number, error: unknown): Promise<void> {
    this.readyState = this.CONNECTING;
    const reason = error instanceof Error ? `: ${error.message}` : '';
    this.dispatchEvent(
      Object.assign(new Event('error'), { message: `event stream dropped${reason}`, error }),
    );
    await sleep(delayMs, this.#ac.signal).catch(() => undefined);
  }
}
