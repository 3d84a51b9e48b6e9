import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import type { RedisConnection } from './redis-connection.ts';

/** What another instance must close: one credential's connections, or a user's except `keep`. */
export const revocationSchema = z.object({
  userId: z.number().int(),
  credential: z.string().optional(),
  keep: z.string().optional(),
  reason: z.string().max(200),
  /** Only drop cached credentials of the user (a role or limit changed); close nothing. */
  forgetOnly: z.boolean().optional(),
});
export type Revocation = z.infer<typeof revocationSchema>;

/** Carries revocations to the other instances, so a logout on one closes streams held on all. */
export interface RevocationBus {
  publish(r: Revocation): void;
  /** `handler` runs for revocations published by other instances. */
  subscribe(handler: (r: Revocation) => void): void;
  /** Resolves once revocations from other instances are being received. */
  readonly listening: Promise<void>;
  close(): Promise<void>;
}

/** One instance: everything it holds is closed locally already. */
export const localRevocations: RevocationBus = {
  publish: () => undefined,
  subscribe: () => undefined,
  listening: Promise.resolve(),
  close: () => Promise.resolve(),
};

const CHANNEL = 'cg:revocations';

/**
 * Redis pub/sub on `cg:revocations`. The subscriber is a second connection (a subscribed one can
 * do nothing else) that queues its SUBSCRIBE until Redis is up and resubscribes after a reconnect.
 * A revocation published while Redis is down reaches only this instance (calls re-check anyway).
 */
export function createRedisRevocations(
  redis: RedisConnection,
  onError?: (err: unknown) => void,
): RevocationBus {
  const origin = randomUUID();
  const subscriber = redis.client.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
  subscriber.on('error', () => undefined); // the main connection logs Redis's state
  const handlers: ((r: Revocation) => void)[] = [];
  subscriber.on('message', (_channel: string, text: string) => {
    try {
      const msg = z.object({ origin: z.string(), revocation: revocationSchema }).parse(JSON.parse(text));
      if (msg.origin === origin) return;
      for (const h of handlers) h(msg.revocation);
    } catch (err) {
      onError?.(err);
    }
  });
  const listening = subscriber.subscribe(CHANNEL).then(
    () => undefined,
    (err: unknown) => onError?.(err),
  );
  return {
    listening,
    publish(revocation) {
      redis.client
        .publish(CHANNEL, JSON.stringify({ origin, revocation }))
        .catch((err: unknown) => onError?.(err));
    },
    subscribe(handler) {
      handlers.push(handler);
    },
    async close() {
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}
