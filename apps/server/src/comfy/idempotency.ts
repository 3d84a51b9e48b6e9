import { createHash } from 'node:crypto';
import type * as z from 'zod';
import type { Db } from '../db/open-db.ts';
import { isUniqueViolation } from '../db/unique-violation.ts';
import { GatewayError, fieldError } from '../errors.ts';

const TTL_MS = 24 * 3_600_000;
const KEY_RE = /^[\x21-\x7e]{1,200}$/;

export interface IdempotentCall<T> {
  /** The `Idempotency-Key` header; absent means the call simply runs. */
  key: string | undefined;
  userId: number;
  route: string;
  body: unknown;
  /** The answer's schema: a stored answer is parsed with it when replayed, never just cast. */
  response: z.ZodType<T>;
}

export interface IdempotencyStore {
  /** Runs `fn` once per key, user and route; a repeat with the same body gets the stored answer. */
  run<T>(call: IdempotentCall<T>, fn: () => Promise<T>): Promise<{ value: T; replayed: boolean }>;
}

/** A stored answer that no longer parses (corrupt, or from an older shape): never run twice. */
function unreadable(): GatewayError {
  return new GatewayError(
    'CONFLICT',
    'Idempotency-Key: the stored answer for this key can no longer be read; use a new key',
  );
}

function parseStored<T>(json: string, schema: z.ZodType<T>): T {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw unreadable();
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw unreadable();
  return parsed.data;
}

/** Stable JSON (sorted keys), so `{a,b}` and `{b,a}` count as the same body. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A claimed key whose call never finished (its instance died) is taken over after this. */
const ABANDONED_MS = 10 * 60_000;
const PENDING = 0;

/**
 * Idempotency keys as rows keyed (key, user, route). A call first claims its key with an insert
 * (the primary key decides between instances racing), runs, then stores its answer; in-flight
 * calls are shared within the process, and a repeat on another instance while the first still
 * runs is a 409.
 */
export function createIdempotencyStore(db: Db, now: () => number = Date.now): IdempotencyStore {
  const inflight = new Map<string, { hash: string; promise: Promise<unknown> }>();
  const row = (c: IdempotentCall<unknown>) =>
    db
      .selectFrom('idempotency')
      .select(['body_hash', 'response_json', 'status', 'created_at'])
      .where('key', '=', c.key ?? '')
      .where('user_id', '=', c.userId)
      .where('route', '=', c.route)
      .executeTakeFirst();

  /** Claims the key for this call; false when another call holds it or has answered it. */
  async function claim(call: IdempotentCall<unknown>, hash: string): Promise<boolean> {
    const t = now();
    try {
      await db
        .insertInto('idempotency')
        .values({
          key: call.key ?? '',
          user_id: call.userId,
          route: call.route,
          body_hash: hash,
          response_json: '',
          status: PENDING,
          created_at: t,
        })
        .execute();
      return true;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
    // Taken: over an abandoned claim only, and only by one of the racers.
    const r = await db
      .updateTable('idempotency')
      .set({ body_hash: hash, created_at: t })
      .where('key', '=', call.key ?? '')
      .where('user_id', '=', call.userId)
      .where('route', '=', call.route)
      .where('status', '=', PENDING)
      .where('created_at', '<', t - ABANDONED_MS)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  function keyed(call: IdempotentCall<unknown>) {
    return db
      .updateTable('idempotency')
      .where('key', '=', call.key ?? '')
      .where('user_id', '=', call.userId)
      .where('route', '=', call.route);
  }

  return {
    async run<T>(call: IdempotentCall<T>, fn: () => Promise<T>): Promise<{ value: T; replayed: boolean }> {
      if (call.key === undefined) return { value: await fn(), replayed: false };
      if (!KEY_RE.test(call.key))
        throw fieldError('Idempotency-Key', 'must be 1-200 visible ASCII characters');
      const hash = createHash('sha256').update(stableJson(call.body)).digest('hex');
      const id = `${call.userId}\n${call.route}\n${call.key}`;
      const conflict = () =>
        new GatewayError('CONFLICT', 'Idempotency-Key was already used with a different request body');

      const running = inflight.get(id);
      if (running) {
        if (running.hash !== hash) throw conflict();
        // The running call is this same route's, so its promise yields this `T`.
        return { value: (await running.promise) as T, replayed: true };
      }
      const promise = (async (): Promise<{ value: T; replayed: boolean }> => {
        await db
          .deleteFrom('idempotency')
          .where('created_at', '<', now() - TTL_MS)
          .execute();
        for (;;) {
          if (await claim(call, hash)) break;
          const stored = await row(call);
          if (!stored) continue; // released (its call failed) between our insert and read: claim again
          if (stored.body_hash !== hash) throw conflict();
          if (stored.status === PENDING)
            throw new GatewayError(
              'CONFLICT',
              'Idempotency-Key: a request with this key is still running; retry later',
            );
          return { value: parseStored(stored.response_json, call.response), replayed: true };
        }
        try {
          const value = await fn();
          await keyed(call)
            .set({ response_json: JSON.stringify(value), status: 200, created_at: now() })
            .execute();
          return { value, replayed: false };
        } catch (err) {
          // Failures are not stored: the key is free again.
          await db
            .deleteFrom('idempotency')
            .where('key', '=', call.key ?? '')
            .where('user_id', '=', call.userId)
            .where('route', '=', call.route)
            .where('status', '=', PENDING)
            .execute()
            .catch(() => undefined);
          throw err;
        }
      })();
      const shared = promise.then((r) => r.value);
      shared.catch(() => undefined);
      inflight.set(id, { hash, promise: shared });
      try {
        return await promise;
      } finally {
        inflight.delete(id);
      }
    },
  };
}
