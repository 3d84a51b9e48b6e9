import { sharedJsonOf, trpcTransformer } from '@comfy-gateway/api';

/**
 * The `data` message of a tracked event, in the bytes tRPC's WebSocket adapter (with our encoder)
 * sends: `{"id":<sub>,"result":{"type":"data","data":<superjson of {id,data}>,"id":<event id>}}`.
 * The part after the subscription id is the same for every subscriber of the event: made once,
 * as UTF-8 bytes.
 */
const tails = new WeakMap<object, { eventId: string; tail: Buffer }>();

function tailOf(eventId: string, event: unknown): Buffer {
  const known = typeof event === 'object' && event !== null ? tails.get(event) : undefined;
  if (known?.eventId === eventId) return known.tail;
  const out = trpcTransformer.output.serialize({ id: eventId, data: event }) as unknown;
  const shared = sharedJsonOf(out);
  const tail = Buffer.from(`"data":${shared ?? JSON.stringify(out)},"id":${JSON.stringify(eventId)}}}`);
  // Only shared events are immutable; an event under another id (a notice) is not cached over.
  if (shared !== undefined && known === undefined) tails.set(event as object, { eventId, tail });
  return tail;
}

/** The constant start of one subscription's data messages (its id and the client's `jsonrpc`). */
export function dataPrefix(id: number | string, jsonrpc: '2.0' | undefined): Buffer {
  const rpc = jsonrpc === undefined ? '' : `,"jsonrpc":"${jsonrpc}"`;
  return Buffer.from(`{"id":${JSON.stringify(id)}${rpc},"result":{"type":"data",`);
}

/**
 * A tracked event's data message for the subscription whose `dataPrefix` is given, as one
 * unmasked, final WebSocket text frame (RFC 6455 5.2): header and payload in one buffer, so the
 * socket gets one write (ws writes header and payload as two, a writev).
 */
export function trackedDataFrame(prefix: Buffer, eventId: string, event: unknown): Buffer {
  const tail = tailOf(eventId, event);
  const length = prefix.length + tail.length;
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81; // FIN, text
  if (header === 2) frame[1] = length;
  else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  prefix.copy(frame, header);
  tail.copy(frame, header + prefix.length);
  return frame;
}

/** The payload of a frame `trackedDataFrame` made (what a client's `message` event carries). */
export function framePayload(frame: Buffer): Buffer {
  const len = frame[1] ?? 0;
  return frame.subarray(len < 126 ? 2 : len === 126 ? 4 : 10);
}
