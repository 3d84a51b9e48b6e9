import type { Request, Response } from 'express';
import type { OpenConnections } from '../auth/open-connections.ts';
import { joinHeartbeat } from './heartbeats.ts';
import { SseWriter } from './sse-writer.ts';

export interface SseStream {
  /** Sends one event; `id` feeds the client's Last-Event-ID on reconnect. */
  send(event: string, id: string | number | null, data: unknown): void;
  /**
   * Writes an already formatted frame (see `formatSseEvent`); fan-out formats once for all streams.
   * `kind` is the event type: a `status` may be coalesced with the next one for a slow reader.
   */
  sendFrame(frame: string, kind?: string): void;
  /** Sends a comment line (keeps proxies from timing the stream out). */
  comment(text?: string): void;
  /** Ends the stream from the server side. */
  close(): void;
  /** Runs `fn` once when the stream ends, whoever ended it. */
  onClose(fn: () => void): void;
  readonly closed: boolean;
  /** The `Last-Event-ID` the client resumed with, if any. */
  readonly lastEventId: string | null;
}

/** One SSE frame: `event`, optional `id`, and the data as one JSON line. */
export function formatSseEvent(event: string, id: string | number | null, data: unknown): string {
  const payload = JSON.stringify(data).replace(/\n/g, '\\n');
  return `event: ${event}\n${id === null ? '' : `id: ${String(id).replace(/[\r\n]/g, '')}\n`}data: ${payload}\n\n`;
}

/** Open streams of one app, so shutdown can end them. */
export class SseRegistry {
  readonly #open = new Set<SseStream>();
  add(s: SseStream): void {
    this.#open.add(s);
    s.onClose(() => this.#open.delete(s));
  }
  get size(): number {
    return this.#open.size;
  }
  closeAll(): void {
    for (const s of [...this.#open]) s.close();
  }
}

/**
 * Starts a Server-Sent Events response: no buffering (X-Accel-Buffering, no-transform so
 * compression stays out), a heartbeat comment every 15 s, cleanup when the client goes away,
 * and a `retry:` hint when `retryMs` is given. Writes go through the shared write batcher, and
 * a slow reader's superseded `status` frames are coalesced (see `SseWriter`).
 * Streams register with `req.app.locals.sse` when the app provides one.
 */
export async function openSse(
  req: Request,
  res: Response,
  opts: { heartbeatMs?: number; retryMs?: number } = {},
): Promise<SseStream> {
  // Before any header: a user at USER_MAX_STREAMS gets a plain 429 (503 when Redis cannot count).
  const release = await registerWithCredential(req, () => stream.close());
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('Connection', 'keep-alive');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  req.socket.setNoDelay(true);
  req.socket.setTimeout(0);

  const writer = new SseWriter(res);
  const listeners: (() => void)[] = [];
  let closed = false;
  const write = (chunk: string, kind: string) => {
    if (!closed) writer.write(chunk, kind);
  };
  const finish = () => {
    if (closed) return;
    closed = true;
    leaveHeartbeat();
    for (const fn of listeners.splice(0)) fn();
  };
  const leaveHeartbeat = joinHeartbeat(opts.heartbeatMs ?? 15_000, () =>
    write(': heartbeat\n\n', 'heartbeat'),
  );
  res.on('close', finish);
  // The client may have gone while the route was still deciding: `close` has fired already.
  if (res.destroyed) finish();

  const stream: SseStream = {
    send(event, id, data) {
      write(formatSseEvent(event, id, data), event);
    },
    sendFrame(frame, kind = 'message') {
      write(frame, kind);
    },
    comment(text = '') {
      write(`: ${text.replace(/[\r\n]/g, ' ')}\n\n`, 'comment');
    },
    close() {
      // Queued frames (the final `done` among them) are written before the response ends.
      if (!closed) writer.end();
      finish();
    },
    onClose(fn) {
      if (closed) fn();
      else listeners.push(fn);
    },
    get closed() {
      return closed;
    },
    lastEventId: req.get('last-event-id') ?? null,
  };
  stream.onClose(release);
  const registry: unknown = req.app.locals['sse'];
  if (registry instanceof SseRegistry) registry.add(stream);
  write(
    opts.retryMs === undefined ? ': connected\n\n' : `retry: ${Math.round(opts.retryMs)}\n: connected\n\n`,
    'comment',
  );
  return stream;
}

/**
 * Counts the stream against its user's cap and lets revoking its credential end it, when the app
 * has an open-connections registry and the request went through `requireUser`.
 */
function registerWithCredential(req: Request, close: () => void): Promise<() => void> {
  const registry = req.app.locals['connections'] as OpenConnections | undefined;
  if (!registry || !req.auth) return Promise.resolve(() => undefined);
  return registry.open({ userId: req.auth.user.id, credential: req.auth.credential, kind: 'sse', close });
}
