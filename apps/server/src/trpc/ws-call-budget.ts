import { WebSocket } from 'ws';

/** tRPC calls one WebSocket frame may hold (the adapter answers a larger batch with 400s). */
export const WS_MAX_CALLS_PER_FRAME = 50;

/** Calls a frame holds: a JSON array is a batch; the connectionParams message is no call. */
function callsIn(data: unknown): number {
  const text = Buffer.isBuffer(data) ? data.toString('utf8') : String(data);
  if (text === 'PING' || text === 'PONG') return 0;
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed)) return Math.max(1, parsed.length);
    return (parsed as { method?: unknown } | null)?.method === 'connectionParams' ? 0 : 1;
  } catch {
    return 1; // tRPC answers it with a parse error: still a call
  }
}

/**
 * A WebSocket whose `message` events pass a per-second call budget first: a frame that would
 * overspend it never reaches tRPC, and the socket is closed with 1008 and the budget as reason.
 * Then `divert` (the subscription lane) takes the calls it serves before tRPC sees the frame.
 * The `ws` server builds these through its `WebSocket` option.
 */
export class BudgetedWebSocket extends WebSocket {
  /** Calls per second; set by the server right after the upgrade. */
  callsPerSecond = Infinity;
  #windowStart = 0;
  #used = 0;

  /** Set by the host: takes the calls it serves itself from a frame, returns what is left (null: none). */
  divert: ((raw: Buffer) => Buffer | null) | null = null;

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'message') {
      if (!this.#spend(callsIn(args[0]))) return false;
      if (this.divert && Buffer.isBuffer(args[0]) && args[1] === false) {
        const rest = this.divert(args[0]);
        if (rest === null) return true;
        args[0] = rest;
      }
    }
    return super.emit(event, ...args);
  }

  #spend(calls: number): boolean {
    if (this.readyState !== WebSocket.OPEN) return false;
    const now = Date.now();
    if (now - this.#windowStart >= 1000) {
      this.#windowStart = now;
      this.#used = 0;
    }
    this.#used += calls;
    if (this.#used <= this.callsPerSecond) return true;
    this.close(1008, `too many calls: at most ${this.callsPerSecond} per second`);
    return false;
  }
}
