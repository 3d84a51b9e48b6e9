import { GatewayError } from '../errors.ts';
import { defaultTimers } from '../timers.ts';
import type { Timers } from '../types.ts';
import type { ComfyEvent } from './events.ts';
import { parseBinaryFrame, parseTextFrame } from './parse-frame.ts';

/** The subset of the WHATWG WebSocket that `ws` and browsers both provide. */
export interface WebSocketLike {
  binaryType: string;
  readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code?: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketCtor = new (url: string) => WebSocketLike;

export interface ComfySocketOptions {
  baseUrl: string;
  clientId: string;
  WebSocket: WebSocketCtor;
  /** Sent as the first message; default `{supports_preview_metadata: true}`, null sends nothing. */
  featureFlags?: Record<string, unknown> | null;
  /** Open + first `status` must happen within this; default 10 s. */
  connectTimeoutMs?: number;
  now?: () => number;
  timers?: Timers;
}

export interface ComfySocket {
  /** Opens the socket; resolves after the first `status` frame, rejects if it closes first. */
  connect(): Promise<void>;
  close(): void;
  onEvent(listener: (ev: ComfyEvent) => void): () => void;
  onClose(listener: (reason: string) => void): () => void;
  readonly isOpen: boolean;
  /** When the last frame arrived (silence detection). */
  readonly lastMessageAt: number;
}

const toBytes = (data: unknown): Uint8Array | null => {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
};

/** One WebSocket to ComfyUI with the gateway's client id and the preview-metadata handshake. */
export function createComfySocket(opts: ComfySocketOptions): ComfySocket {
  const now = opts.now ?? Date.now;
  const timers = opts.timers ?? defaultTimers;
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  const flags = opts.featureFlags === undefined ? { supports_preview_metadata: true } : opts.featureFlags;
  const url = `${opts.baseUrl.replace(/^http/, 'ws').replace(/\/+$/, '')}/ws?clientId=${encodeURIComponent(opts.clientId)}`;
  const eventListeners = new Set<(ev: ComfyEvent) => void>();
  const closeListeners = new Set<(reason: string) => void>();
  let ws: WebSocketLike | null = null;
  let open = false;
  let lastMessageAt = 0;
  // Rejects a connect still in progress when the socket is closed under it.
  let abortPending: (() => void) | null = null;

  // Detached first, so closing on purpose never reports a disconnect.
  const closeCurrent = () => {
    abortPending?.();
    const sock = ws;
    ws = null;
    open = false;
    if (sock) {
      sock.onclose = sock.onmessage = null;
      // Closing a socket still connecting makes `ws` emit an error: keep a handler for it.
      sock.onerror = () => undefined;
      sock.close();
    }
  };

  const emit = (ev: ComfyEvent) => {
    for (const l of eventListeners) l(ev);
  };

  return {
    connect() {
      closeCurrent();
      return new Promise<void>((resolve, reject) => {
        const sock = new opts.WebSocket(url);
        ws = sock;
        sock.binaryType = 'arraybuffer';
        let settled = false;
        const timer = timers.setTimeout(
          () => fail(`no status from ComfyUI within ${connectTimeoutMs} ms`),
          connectTimeoutMs,
        );
        const fail = (why: string) => {
          if (settled) return;
          settled = true;
          abortPending = null;
          timers.clearTimeout(timer);
          sock.onclose = sock.onmessage = null;
          sock.onerror = () => undefined;
          sock.close();
          reject(new GatewayError('COMFY_UNAVAILABLE', `WebSocket to ComfyUI failed: ${why}`));
        };
        abortPending = () => fail('closed by the gateway');
        // ComfyUI answers previews with type-4 frames (naming their prompt) only after this.
        sock.onopen = () => {
          if (flags) sock.send(JSON.stringify({ type: 'feature_flags', data: flags }));
        };
        sock.onerror = (ev) => fail((ev as { message?: string }).message ?? 'error');
        sock.onclose = (ev) => {
          if (!settled) return fail(`closed (${ev.code ?? 0})`);
          if (ws !== sock) return;
          open = false;
          for (const l of closeListeners) l(`closed (${ev.code ?? 0}${ev.reason ? ` ${ev.reason}` : ''})`);
        };
        sock.onmessage = (msg) => {
          lastMessageAt = now();
          const bytes = toBytes(msg.data);
          const ev = bytes
            ? parseBinaryFrame(bytes)
            : typeof msg.data === 'string'
              ? parseTextFrame(msg.data)
              : null;
          if (!ev) return;
          if (!settled && ev.type === 'status') {
            settled = true;
            abortPending = null;
            open = true;
            timers.clearTimeout(timer);
            resolve();
          }
          emit(ev);
        };
      });
    },
    close: closeCurrent,
    onEvent(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    onClose(listener) {
      closeListeners.add(listener);
      return () => closeListeners.delete(listener);
    },
    get isOpen() {
      return open;
    },
    get lastMessageAt() {
      return lastMessageAt;
    },
  };
}
