import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request } from 'express';
import type { OpenConnections } from '../auth/open-connections.ts';
import type { Authenticated } from '../auth/session-service.ts';
import { joinHeartbeat } from './heartbeats.ts';
import { SseFrame, sseSinkOf } from './sse-frame.ts';
import { SseWriter } from './sse-writer.ts';

const HEARTBEAT = new SseFrame(': heartbeat\n\n');

export interface SseStream {
  /** Sends one event; `id` feeds the client's Last-Event-ID on reconnect. */
  send(event: string, id: string | number | null, data: unknown): void;
  /**
   * Writes an already encoded frame (`new SseFrame(formatSseEvent(...))`); fan-out encodes once
   * for all streams. `kind` is the event type: a `status` may be coalesced for a slow reader.
   */
  sendFrame(frame: SseFrame, kind?: string): void;
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

/** What a stream registers with: the app's open streams (shutdown) and the caller's credential (caps, revocation). */
export interface SseScope {
  registry?: SseRegistry | undefined;
  connections?: OpenConnections | undefined;
  auth?: Authenticated | undefined;
}

/** The scope of a request that went through the Express app (and `requireUser`, when authed). */
export function sseScopeOf(req: Request): SseScope {
  const registry: unknown = req.app.locals['sse'];
  return {
    registry: registry instanceof SseRegistry ? registry : undefined,
    connections: req.app.locals['connections'] as OpenConnections | undefined,
    auth: req.auth,
  };
}

/**
 * Starts a Server-Sent Events response on a plain `node:http` request (Express's included): no
 * buffering (X-Accel-Buffering, no-transform so compression stays out), a heartbeat comment
 * every 15 s, cleanup when the client goes away, and a `retry:` hint when `retryMs` is given.
 * Writes go through the shared write batcher, and a slow reader's superseded `status` frames are
 * coalesced (see `SseWriter`). With a `scope`, the stream counts against its user's cap and
 * registers for shutdown.
 */
export async function openSse(
  req: IncomingMessage,
  res: ServerResponse,
  opts: { heartbeatMs?: number; retryMs?: number; scope?: SseScope } = {},
): Promise<SseStream> {
  const scope = opts.scope ?? {};
  // Before any header: a user at USER_MAX_STREAMS gets a plain 429 (503 when Redis cannot count).
  // `stream` exists by the time a revocation could call this.
  const release = await registerWithCredential(scope, () => stream.close());
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('Connection', 'keep-alive');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  req.socket.setNoDelay(true);
  req.socket.setTimeout(0);

  const stream = new OpenSseStream(res, headerOf(req, 'last-event-id') ?? null, opts.heartbeatMs ?? 15_000);
  stream.onClose(release);
  scope.registry?.add(stream);
  stream.write(
    new SseFrame(
      opts.retryMs === undefined ? ': connected\n\n' : `retry: ${Math.round(opts.retryMs)}\n: connected\n\n`,
    ),
    'comment',
  );
  return stream;
}

/** One open SSE response. A class, not closures: thousands of these live at once. */
class OpenSseStream implements SseStream {
  readonly lastEventId: string | null;
  readonly #writer: SseWriter;
  readonly #leaveHeartbeat: () => void;
  #listeners: (() => void)[] = [];
  #closed = false;

  constructor(res: ServerResponse, lastEventId: string | null, heartbeatMs: number) {
    this.lastEventId = lastEventId;
    this.#writer = new SseWriter(sseSinkOf(res));
    this.#leaveHeartbeat = joinHeartbeat(heartbeatMs, this.#beat);
    res.on('close', this.#finish);
    // The client may have gone while the route was still deciding: `close` has fired already.
    if (res.destroyed) this.#finish();
  }

  readonly #beat = (): void => this.write(HEARTBEAT, 'heartbeat');

  readonly #finish = (): void => {
    if (this.#closed) return;
    this.#closed = true;
    this.#leaveHeartbeat();
    for (const fn of this.#listeners.splice(0)) fn();
  };

  write(frame: SseFrame, kind: string): void {
    if (!this.#closed) this.#writer.write(frame, kind);
  }

  send(event: string, id: string | number | null, data: unknown): void {
    this.write(new SseFrame(formatSseEvent(event, id, data)), event);
  }

  sendFrame(frame: SseFrame, kind = 'message'): void {
    this.write(frame, kind);
  }

  comment(text = ''): void {
    this.write(new SseFrame(`: ${text.replace(/[\r\n]/g, ' ')}\n\n`), 'comment');
  }

  close(): void {
    // Queued frames (the final `done` among them) are written before the response ends.
    if (!this.#closed) this.#writer.end();
    this.#finish();
  }

  onClose(fn: () => void): void {
    if (this.#closed) fn();
    else this.#listeners.push(fn);
  }

  get closed(): boolean {
    return this.#closed;
  }
}

/**
 * Counts the stream against its user's cap and lets revoking its credential end it, when the app
 * has an open-connections registry and the request went through `requireUser`.
 */
function registerWithCredential(scope: SseScope, close: () => void): Promise<() => void> {
  const { connections, auth } = scope;
  if (!connections || !auth) return Promise.resolve(() => undefined);
  return connections.open({ userId: auth.user.id, credential: auth.credential, kind: 'sse', close });
}

/** One request header as a string (the first, when repeated). */
export function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
