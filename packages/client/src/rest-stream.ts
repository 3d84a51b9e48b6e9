import type { JobSnapshot, StreamEvent } from '@comfy-gateway/schema';
import { GatewayClientError } from './errors.ts';
import type { Http } from './http.ts';
import { createSseParser, readSseStream } from './sse-parser.ts';
import { toStreamEvent } from './stream-events.ts';
import { abortReason, linkSignals, sleep } from './signals.ts';

/** One event of a prompt's stream with its SSE id (pass it back as `lastEventId` to resume). */
export interface StreamItem {
  /** Unnumbered events (previews) carry the id of the event before them, as in EventSource. */
  id: string;
  event: StreamEvent;
}

export interface StreamOptions {
  signal?: AbortSignal;
  /** Resume after this event: the server replays only what came later. */
  lastEventId?: string;
  /** Also receive sampler `preview` images (lossy: never replayed on resume). */
  previews?: boolean;
  /** Consecutive failed reconnects before giving up (default 5). */
  maxRetries?: number;
  /** First reconnect delay, doubled per failure up to `maxRetryDelayMs` (defaults 250 and 5000). */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Silence (not even a heartbeat) this long counts as a dropped connection (default 45 s). */
  idleTimeoutMs?: number;
  /** Called before each reconnect wait (a UI can say "reconnecting"); the next event means it worked. */
  onReconnect?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

// Server-side trouble worth waiting out; other statuses (401, 404, ...) will not change on retry.
const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

function isRetryable(err: unknown): boolean {
  return err instanceof GatewayClientError ? err.status === 0 || RETRYABLE_STATUS.has(err.status) : true;
}

/**
 * Follows `GET /api/comfy/stream/:id`, reconnecting with `Last-Event-ID` when the connection
 * drops (bounded retries, exponential backoff with jitter), and ends after the `done` event.
 * Aborting `signal` rejects the pending read with the signal's reason.
 */
export async function* streamPrompt(
  http: Http,
  promptId: string,
  opts: StreamOptions = {},
): AsyncGenerator<StreamItem> {
  const maxRetries = opts.maxRetries ?? 5;
  const baseDelay = opts.retryDelayMs ?? 250;
  const maxDelay = opts.maxRetryDelayMs ?? 5000;
  const idleMs = opts.idleTimeoutMs ?? 45_000;
  const parser = createSseParser({ lastEventId: opts.lastEventId ?? '' });
  let failures = 0;
  let lastError: unknown = null;
  let serverRetryMs: number | null = null;

  for (;;) {
    if (opts.signal?.aborted) throw abortReason(opts.signal);
    const conn = linkSignals(opts.signal);
    let idle: ReturnType<typeof setTimeout> | undefined;
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(
        () =>
          conn.abort(
            new GatewayClientError({ status: 0, code: 'NETWORK_ERROR', message: 'stream went silent' }),
          ),
        idleMs,
      );
    };
    try {
      touch();
      const res = await http.request('GET', `/api/comfy/stream/${encodeURIComponent(promptId)}`, {
        headers: { accept: 'text/event-stream', 'last-event-id': parser.lastEventId || undefined },
        query: { previews: opts.previews ? 1 : undefined },
        signal: conn.signal,
      });
      if (!res.body)
        throw new GatewayClientError({
          status: res.status,
          code: 'BAD_RESPONSE',
          message: 'stream has no body',
        });
      parser.reset();
      for await (const item of readSseStream(res.body, parser, touch)) {
        // One chunk can hold several events; none is delivered after the caller aborted.
        if (opts.signal?.aborted) throw abortReason(opts.signal);
        if (item.type === 'retry') serverRetryMs = item.ms;
        if (item.type !== 'event') continue;
        const event = toStreamEvent(item.event, item.data);
        if (!event) continue;
        failures = 0;
        lastError = null;
        // A slow consumer is not a silent server: the idle clock stops while the event is handled.
        clearTimeout(idle);
        yield { id: item.id, event };
        if (event.type === 'done') return;
        touch();
      }
    } catch (err) {
      if (opts.signal?.aborted) throw abortReason(opts.signal);
      const cause: unknown = conn.signal.aborted ? conn.signal.reason : err;
      if (!isRetryable(cause)) throw cause;
      lastError = cause;
    } finally {
      clearTimeout(idle);
      conn.dispose();
    }
    // A clean end without `done` is a dropped connection too (proxy cut, server restart).
    if (failures >= maxRetries) {
      throw (
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows the last caught error as it came
        lastError ??
        new GatewayClientError({
          status: 0,
          code: 'NETWORK_ERROR',
          message: `stream of ${promptId} kept dropping`,
        })
      );
    }
    const delay = Math.min(maxDelay, (serverRetryMs ?? baseDelay) * 2 ** failures);
    failures += 1;
    const delayMs = delay * (0.5 + Math.random() / 2);
    opts.onReconnect?.({ attempt: failures, delayMs, error: lastError });
    await sleep(delayMs, opts.signal);
  }
}

/** Follows a prompt to its end and returns the final snapshot (the `done` event's). */
export async function followUntilDone(
  http: Http,
  promptId: string,
  opts: StreamOptions & { onEvent?: (item: StreamItem) => void } = {},
): Promise<JobSnapshot> {
  for await (const item of streamPrompt(http, promptId, opts)) {
    opts.onEvent?.(item);
    if (item.event.type === 'done') return item.event.snapshot;
  }
  throw new GatewayClientError({
    status: 0,
    code: 'BAD_RESPONSE',
    message: `stream of ${promptId} ended without done`,
  });
}
