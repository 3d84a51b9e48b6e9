import type { CombinedDataTransformer } from '@trpc/server';
import superjson from 'superjson';
import type { SuperJSONResult } from 'superjson';

// Events every subscriber of a job receives as the same object (the bus hands out one per event).
const shared = new WeakSet<object>();
const serialized = new WeakMap<object, SuperJSONResult>();
// A shared event inside the `{ id, data }` envelope tRPC's adapters build per subscriber for a
// `tracked(id, event)`: serialised once per event and id.
const envelopes = new WeakMap<object, { id: string; out: SuperJSONResult }>();
// Serialised forms of shared events -> their JSON text, for writers that splice it into envelopes.
const texts = new WeakMap<object, string | null>();

/**
 * Marks an event object as immutable and sent to many subscribers: the transformer serialises it
 * once, and `sharedJsonOf` gives its JSON text once, however many subscriptions yield it.
 */
export function shareAcrossSubscribers<T extends object>(event: T): T {
  shared.add(event);
  return event;
}

function once(value: object): SuperJSONResult {
  let out = serialized.get(value);
  if (out === undefined) {
    out = superjson.serialize(value);
    serialized.set(value, out);
    texts.set(out, null);
  }
  return out;
}

/** The event of a tracked envelope `{ id, data }` (exactly those keys) when it is a shared one. */
function sharedTracked(value: Record<string, unknown>): object | undefined {
  const data = value['data'];
  if (typeof value['id'] !== 'string' || typeof data !== 'object' || data === null || !shared.has(data))
    return undefined;
  let keys = 0;
  for (const _ in value) keys++;
  return keys === 2 ? data : undefined;
}

function serialize(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return superjson.serialize(value);
  if (shared.has(value)) return once(value);
  const event = sharedTracked(value as Record<string, unknown>);
  if (event === undefined) return superjson.serialize(value);
  const id = (value as { id: string }).id;
  const known = envelopes.get(event);
  if (known?.id === id) return known.out;
  // The same event under another id (an unnumbered notice carries each subscriber's last id): once each.
  const out = superjson.serialize(value);
  if (known === undefined) {
    envelopes.set(event, { id, out });
    texts.set(out, null);
  }
  return out;
}

/**
 * The JSON text of a transformer output that came from a shared event (computed once), or
 * undefined for anything else (the caller stringifies it as usual).
 */
export function sharedJsonOf(output: unknown): string | undefined {
  if (typeof output !== 'object' || output === null) return undefined;
  // Only outputs this module produced for shared events are known here (they are never mutated).
  const text = texts.get(output);
  if (text !== null) return text;
  const json = JSON.stringify(output);
  texts.set(output, json);
  return json;
}

/** superjson, with shared events serialised once per event instead of once per subscriber. */
export const transformer: CombinedDataTransformer = {
  input: superjson,
  output: { serialize, deserialize: (v: unknown): unknown => superjson.deserialize(v as SuperJSONResult) },
};
