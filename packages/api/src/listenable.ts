/** What a host's own lane calls back, synchronously, for each value and once at the end. */
export interface SubscriptionSink<T> {
  next(value: T): void;
  /** A failure of the source, instead of `complete`. */
  error(err: unknown): void;
  complete(): void;
}

const LISTEN = Symbol('listen');

/**
 * A subscription's result that is an async iterable (what tRPC's adapters read) and can also be
 * listened to without a promise per value (what the gateway's WebSocket lane does for hot
 * subscriptions, once per subscriber and event).
 */
export interface ListenableSubscription<T> extends AsyncIterable<T> {
  /** Starts delivering (backfill first); the returned function detaches early. */
  [LISTEN](sink: SubscriptionSink<T>): () => void;
}

/** Builds one from its two ways of being read; they must deliver the same values. */
export function listenable<T>(
  iterate: () => AsyncIterator<T>,
  listen: (sink: SubscriptionSink<T>) => () => void,
): ListenableSubscription<T> {
  return { [Symbol.asyncIterator]: iterate, [LISTEN]: listen };
}

export function isListenable(value: unknown): value is ListenableSubscription<unknown> {
  return typeof value === 'object' && value !== null && LISTEN in value;
}

/** Listens to a subscription result `isListenable` accepted. */
export function listenTo<T>(sub: ListenableSubscription<T>, sink: SubscriptionSink<T>): () => void {
  return sub[LISTEN](sink);
}
