import { sharedJsonOf, trpcTransformer } from '@comfy-gateway/api';

/**
 * The `data` message of a tracked event, in the bytes tRPC's WebSocket adapter (with our encoder)
 * sends: `{"id":<sub>,"result":{"type":"data","data":<superjson of {id,data}>,"id":<event id>}}`.
 * The part after the subscription id is the same for every subscriber of the event: made once.
 */
const tails = new WeakMap<object, { eventId: string; tail: string }>();

function tailOf(eventId: string, event: unknown): string {
  const known = typeof event === 'object' && event !== null ? tails.get(event) : undefined;
  if (known?.eventId === eventId) return known.tail;
  const out = trpcTransformer.output.serialize({ id: eventId, data: event }) as unknown;
  const shared = sharedJsonOf(out);
  const tail = `"data":${shared ?? JSON.stringify(out)},"id":${JSON.stringify(eventId)}}}`;
  // Only shared events are immutable; an event under another id (a notice) is not cached over.
  if (shared !== undefined && known === undefined) tails.set(event as object, { eventId, tail });
  return tail;
}

/** The constant start of one subscription's data messages (its id and the client's `jsonrpc`). */
export function dataPrefix(id: number | string, jsonrpc: '2.0' | undefined): string {
  return `{"id":${JSON.stringify(id)}${jsonrpc === undefined ? '' : `,"jsonrpc":"${jsonrpc}"`},"result":{"type":"data",`;
}

/** A tracked event's data message for the subscription whose `dataPrefix` is given. */
export function trackedDataMessage(prefix: string, eventId: string, event: unknown): string {
  return prefix + tailOf(eventId, event);
}
