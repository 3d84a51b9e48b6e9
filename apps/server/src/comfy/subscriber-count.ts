export type SubscriberTransport = 'sse' | 'trpc';

const open: Record<SubscriberTransport, number> = { sse: 0, trpc: 0 };

/** Counts one live subscriber until the returned release runs (idempotent). */
export function openSubscriber(transport: SubscriberTransport): () => void {
  open[transport]++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    open[transport]--;
  };
}

/** Live stream subscribers in this process, by transport (metrics, leak checks in tests). */
export const subscriberCount = (transport: SubscriberTransport): number => open[transport];
