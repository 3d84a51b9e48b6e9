import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isGatewayError } from '../errors.ts';
import type { ComfyEvent } from './events.ts';
import { createComfySocket } from './socket.ts';
import type { WebSocketLike } from './socket.ts';

/** A scripted stand-in for `ws`: the test drives open, frames and close. */
class FakeWs implements WebSocketLike {
  static last: FakeWs | null = null;
  binaryType = 'blob';
  readyState = 0;
  sent: string[] = [];
  closed = false;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code?: number; reason?: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  constructor(readonly url: string) {
    FakeWs.last = this;
  }
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.closed = true;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  text(frame: string) {
    this.onmessage?.({ data: frame });
  }
  drop(code = 1006) {
    this.onclose?.({ code });
  }
}

const STATUS = '{"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}}, "sid": "gw-1"}}';
const current = (): FakeWs => {
  if (!FakeWs.last) throw new Error('no socket opened');
  return FakeWs.last;
};

beforeEach(() => {
  FakeWs.last = null;
  vi.useFakeTimers();
});
afterEach(() => void vi.useRealTimers());

describe('createComfySocket', () => {
  it('sends feature_flags first and resolves on the first status', async () => {
    const sock = createComfySocket({
      baseUrl: 'http://127.0.0.1:8188/',
      clientId: 'gw 1',
      WebSocket: FakeWs,
      now: () => 42,
    });
    const events: ComfyEvent[] = [];
    sock.onEvent((e) => events.push(e));
    let resolved = false;
    const p = sock.connect().then(() => (resolved = true));
    expect(current().url).toBe('ws://127.0.0.1:8188/ws?clientId=gw%201');
    expect(current().binaryType).toBe('arraybuffer');
    current().open();
    expect(current().sent).toEqual(['{"type":"feature_flags","data":{"supports_preview_metadata":true}}']);
    await Promise.resolve();
    expect(resolved).toBe(false);
    current().text(STATUS);
    await p;
    expect(sock.isOpen).toBe(true);
    expect(sock.lastMessageAt).toBe(42);
    expect(events).toEqual([{ type: 'status', queue_remaining: 0, sid: 'gw-1' }]);
    const frame = new Uint8Array([0, 0, 0, 3, 0, 0, 0, 1, 0x32, 0x68, 0x69]);
    current().onmessage?.({ data: frame.buffer });
    expect(events.at(-1)).toEqual({ type: 'text', node_id: '2', text: 'hi' });
  });

  it('rejects with COMFY_UNAVAILABLE when the socket closes before the first status', async () => {
    const sock = createComfySocket({
      baseUrl: 'https://comfy.example',
      clientId: 'c',
      WebSocket: FakeWs,
      featureFlags: null,
    });
    const p = sock.connect();
    expect(current().url).toBe('wss://comfy.example/ws?clientId=c');
    current().open();
    expect(current().sent).toEqual([]);
    current().drop(1006);
    const err = await p.catch((e: unknown) => e);
    expect(isGatewayError(err) && err.code).toBe('COMFY_UNAVAILABLE');
    expect(sock.isOpen).toBe(false);
  });

  it('rejects after the connect timeout when no status arrives', async () => {
    const sock = createComfySocket({
      baseUrl: 'http://h',
      clientId: 'c',
      WebSocket: FakeWs,
      connectTimeoutMs: 500,
    });
    const p = sock.connect();
    const caught = p.catch((e: unknown) => e);
    current().open();
    await vi.advanceTimersByTimeAsync(500);
    expect(String(await caught)).toMatch(/no status from ComfyUI within 500 ms/);
    expect(current().closed).toBe(true);
  });

  it('reports a later drop once to close listeners, but not a deliberate close', async () => {
    const sock = createComfySocket({ baseUrl: 'http://h', clientId: 'c', WebSocket: FakeWs });
    const reasons: string[] = [];
    sock.onClose((r) => reasons.push(r));
    const p = sock.connect();
    current().open();
    current().text(STATUS);
    await p;
    current().drop(1001);
    expect(reasons).toEqual(['closed (1001)']);
    expect(sock.isOpen).toBe(false);

    const again = sock.connect();
    current().open();
    current().text(STATUS);
    await again;
    sock.close();
    expect(current().closed).toBe(true);
    expect(reasons).toHaveLength(1);
  });

  it('rejects a connect in progress when closed, so nobody waits forever', async () => {
    const sock = createComfySocket({ baseUrl: 'http://h', clientId: 'c', WebSocket: FakeWs });
    const p = sock.connect();
    sock.close();
    await expect(p).rejects.toThrow(/closed by the gateway/);
  });
});
