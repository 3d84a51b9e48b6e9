import type { Clock } from './user-rows.ts';

/** How long a checked credential is trusted without asking the database again. */
export const CREDENTIAL_CACHE_MS = 5_000;
const MAX_ENTRIES = 10_000;

interface Entry<T> {
  value: T;
  userId: number;
  expiresAt: number;
}

/**
 * Credentials checked in the last few seconds, keyed by the token's hash, so a client polling
 * `status` does not cost two queries per request. Revocations, logouts and user changes call
 * `forgetUser` (on every instance: they travel over the revocation bus), which also voids any
 * check that was in flight when it ran (`stamp`), so the very next request asks the database.
 */
export class CredentialCache<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #clock: Clock;
  readonly #ttlMs: number;
  #generation = 0;

  constructor(clock: Clock, ttlMs = CREDENTIAL_CACHE_MS) {
    this.#clock = clock;
    this.#ttlMs = ttlMs;
  }

  get(key: string): T | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt > this.#clock.now()) return e.value;
    this.#entries.delete(key);
    return undefined;
  }

  /** Taken before a database check: `set` with a stale stamp is ignored (a revocation ran meanwhile). */
  stamp(): number {
    return this.#generation;
  }

  /** Caches `value` until the TTL or the credential's own expiry, whichever comes first. */
  set(key: string, value: T, o: { userId: number; stamp: number; expiresAt: number | null }): void {
    if (this.#ttlMs <= 0 || o.stamp !== this.#generation) return;
    const expiresAt = Math.min(this.#clock.now() + this.#ttlMs, o.expiresAt ?? Infinity);
    // Map order is insertion order: the oldest entry goes first when full.
    if (this.#entries.size >= MAX_ENTRIES) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.delete(key);
    this.#entries.set(key, { value, userId: o.userId, expiresAt });
  }

  /** Drops every cached credential of the user (revocation, logout, role or limit change). */
  forgetUser(userId: number): void {
    this.#generation++;
    for (const [key, e] of this.#entries) if (e.userId === userId) this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }
}
