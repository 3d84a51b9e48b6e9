import { createHash } from 'node:crypto';
import type * as z from 'zod';
import type { Db } from '../db/open-db.ts';
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

/** Idempotency keys in SQLite, with in-flight calls shared so concurrent repeats queue once. */
export function createIdempotencyStore(db: Db, now: () => number = Date.now): IdempotencyStore {
  const inflight = new Map<string, { hash: string; promise: Promise<unknown> }>();
  const select = db.prepare(
    'SELECT body_hash, response_json FROM idempotency WHERE key = ? AND user_id = ? AND route = ?',
  );
  const insert = db.prepare(
    'INSERT OR REPLACE INTO idempotency (key, user_id, route, body_hash, response_json, status, created_at) VALUES (?, ?, ?, ?, ?, 200, ?)',
  );
  const prune = db.prepare('DELETE FROM idempotency WHERE created_at < ?');

  return {
    async run(call, fn) {
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
        return { value: (await running.promise) as Awaited<ReturnType<typeof fn>>, replayed: true };
      }
      prune.run(now() - TTL_MS);
      const row = select.get(call.key, call.userId, call.route) as
        { body_hash: string; response_json: string } | undefined;
      if (row) {
        if (row.body_hash !== hash) throw conflict();
        return { value: parseStored(row.response_json, call.response), replayed: true };
      }
      const promise = fn();
      inflight.set(id, { hash, promise });
      try {
        const value = await promise;
        insert.run(call.key, call.userId, call.route, hash, JSON.stringify(value), now());
        return { value, replayed: false };
      } finally {
        inflight.delete(id);
      }
    },
  };
}
