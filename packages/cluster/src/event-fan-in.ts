import type { JobListener, TrackedEvent } from '@comfy-gateway/comfy-core';
import type { Redis } from 'ioredis';
import { eventOfEntry } from './redis-job-event-log.ts';
import type { RedisJobEventLog, StreamEntry } from './redis-job-event-log.ts';

export interface EventFanInOptions {
  /** Commands (cursor lookups, CLIENT UNBLOCK); the blocking reader is a duplicate of it. */
  redis: Redis;
  log: RedisJobEventLog;
  /** Shown in CLIENT LIST as `name=cg-fan-in:<name>`; default the process id. */
  name?: string;
  /** Longest wait of one XREAD; new follows interrupt it (CLIENT UNBLOCK). Default 5 s. */
  blockMs?: number;
  /** Entries per stream per read; default 100. */
  count?: number;
  /** Pause before reading again after a failed read (Redis gone); default 250 ms. */
  retryMs?: number;
  /** Reads resumed after a failure: events written before a Redis restart may be gone; check the ledger. */
  onResync?: (promptIds: string[]) => void;
  onError?: (where: string, err: unknown) => void;
}

interface Followed {
  key: string;
  listeners: Set<JobListener>;
  /** Entry id read up to; unset until its lookup answered (the key is not read before). */
  cursor?: string;
  ready: Promise<void>;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Per instance, ONE blocking connection that XREADs the streams of every job a local subscriber
 * follows and hands each new event to that job's local listeners, once each. Following a job
 * starts at its newest entry, so subscribe-then-backfill sees every event at least once.
 */
export function createEventFanIn(o: EventFanInOptions) {
  const blockMs = o.blockMs ?? 5_000;
  const count = o.count ?? 100;
  const retryMs = o.retryMs ?? 250;
  const reader = o.redis.duplicate({
    connectionName: `cg-fan-in:${o.name ?? process.pid}`,
    // A read cut by a lost connection fails at once (not resent), so the loop sees it and resyncs.
    maxRetriesPerRequest: 0,
  });
  const prefixLength = o.log.key('').length;
  const jobs = new Map<string, Followed>();
  let readerId: number | undefined;
  let readNo = 0;
  /** The read being waited on (0: none), and the one an interrupt is already working on. */
  let inFlight = 0;
  let interrupting = 0;
  let closed = false;
  let wake: (() => void) | undefined;
  reader.on('error', (err) => o.onError?.('fan_in.connection', err));
  let connectedBefore = false;
  let resync = false;
  // A new connection has a new client id, and Redis may have restarted empty in between.
  reader.on('ready', () => {
    readerId = undefined;
    if (connectedBefore) resync = true;
    connectedBefore = true;
  });

  /** Makes the loop pick up a newly ready key now: wakes it when idle, unblocks its XREAD when not. */
  async function interrupt(): Promise<void> {
    wake?.();
    const read = inFlight;
    if (read === 0 || interrupting === read) return;
    interrupting = read;
    try {
      // The UNBLOCK may reach Redis before the XREAD it is meant for: retry until that read has ended.
      for (let i = 0; inFlight === read && i < 100; i++) {
        if (readerId !== undefined && Number(await o.redis.call('CLIENT', 'UNBLOCK', readerId)) === 1) return;
        await pause(10);
      }
    } catch (err) {
      // Redis away: the read fails too, and the next one includes the key.
      o.onError?.('fan_in.unblock', err);
    } finally {
      if (interrupting === read) interrupting = 0;
    }
  }

  function hand(job: Followed, event: TrackedEvent): void {
    for (const l of [...job.listeners]) {
      try {
        l(event);
      } catch (err) {
        o.onError?.('fan_in.listener', err);
      }
    }
  }

  function deliver(key: string, entries: StreamEntry[]): void {
    const job = jobs.get(key);
    if (!job) return;
    for (const entry of entries) {
      job.cursor = entry[0];
      hand(job, eventOfEntry(entry));
    }
  }

  const reading = () => [...jobs.values()].filter((j) => j.cursor !== undefined);

  async function loop(): Promise<void> {
    while (!closed) {
      if (reading().length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      try {
        readerId ??= Number(await reader.client('ID'));
        if (resync) {
          resync = false;
          o.onResync?.([...jobs.keys()].map((k) => k.slice(prefixLength)));
        }
        // Keys are taken right as the read is sent: a later follow sees it in flight and unblocks it.
        const keys = reading();
        inFlight = ++readNo;
        // The typed command, not `call`: ioredis shapes its reply the same under RESP2 and RESP3.
        const reply: [string, StreamEntry[]][] | null = await reader.xread(
          'COUNT',
          count,
          'BLOCK',
          blockMs,
          'STREAMS',
          ...keys.map((j) => j.key),
          ...keys.map((j) => j.cursor ?? '0-0'),
        );
        inFlight = 0;
        for (const [key, entries] of reply ?? []) deliver(key, entries);
      } catch (err) {
        inFlight = 0;
        if (closed) return;
        o.onError?.('fan_in.read', err);
        resync = true;
        readerId = undefined;
        await pause(retryMs);
      }
    }
  }
  const running = loop();

  return {
    /** Hands the job's events from now on to `listener`; returns the unfollow. */
    follow(promptId: string, listener: JobListener): () => void {
      const key = o.log.key(promptId);
      let job = jobs.get(key);
      if (!job) {
        const created: Followed = { key, listeners: new Set(), ready: Promise.resolve() };
        created.ready = o.log.lastEntryId(promptId).then(
          (id) => void (created.cursor = id),
          // Redis unreachable: read the whole stream once back (listeners drop repeats by id).
          (err: unknown) => {
            o.onError?.('fan_in.follow', err);
            created.cursor = '0-0';
          },
        );
        void created.ready.then(() => interrupt());
        jobs.set(key, (job = created));
      }
      const followed = job;
      followed.listeners.add(listener);
      return () => {
        followed.listeners.delete(listener);
        if (followed.listeners.size === 0 && jobs.get(key) === followed) jobs.delete(key);
      };
    },
    /** Resolves once the job's reads start at a known entry: a backfill after this leaves no gap. */
    ready: (promptId: string): Promise<void> => jobs.get(o.log.key(promptId))?.ready ?? Promise.resolve(),
    /**
     * Hands an event to this instance's listeners of a job without going through Redis: after
     * `onResync`, the ledger's final state (`done` at the stored floor) ends streams whose `done` was lost.
     */
    deliverLocally(promptId: string, event: TrackedEvent): void {
      const job = jobs.get(o.log.key(promptId));
      if (job) hand(job, event);
    },
    /** Jobs followed now. */
    followed: (): number => jobs.size,
    /** Stops reading and closes the reader connection. */
    async close(): Promise<void> {
      closed = true;
      wake?.();
      reader.disconnect();
      await running;
    },
  };
}

export type EventFanIn = ReturnType<typeof createEventFanIn>;
