import type { JobEventBackfill, TrackedEvent } from '@comfy-gateway/comfy-core';
import type { JobSnapshot, StreamEvent } from '@comfy-gateway/schema';
import type { Redis } from 'ioredis';

export interface RedisJobEventLogOptions {
  /** Entries kept per job (XADD MAXLEN ~: whole stream nodes are trimmed, so a few more stay); default 300. */
  maxLenPerJob?: number;
  /** How long a job's stream outlives its `done`; default 1 h (the ledger answers after that). */
  finishedTtlMs?: number;
  /** Every append pushes the key's expiry this far out, so an abandoned job's stream goes too; default 24 h. */
  idleTtlMs?: number;
  /** Key prefix; the stream of a job is `<prefix><promptId>`. Default `cg:events:`. */
  prefix?: string;
}

// The entry id is the event id (`<id>-0`); XADD refuses one not above the stream's last, which we report as 0.
const APPEND = `
local ok = redis.pcall('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], ARGV[1] .. '-0', 'e', ARGV[3])
if type(ok) == 'table' and ok.err then
  if string.find(ok.err, 'equal or smaller', 1, true) then return 0 end
  return ok
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`;

// The entries after ARGV[1], and the first entry still kept when trimming removed any ('0-0' when none).
const READ_AFTER = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {{}, '0-0'} end
local entries = redis.call('XRANGE', KEYS[1], ARGV[1], '+')
local info = redis.call('XINFO', 'STREAM', KEYS[1])
local fields = {}
for i = 1, #info, 2 do fields[info[i]] = info[i + 1] end
if fields['entries-added'] > fields['length'] then return {entries, fields['recorded-first-entry-id']} end
return {entries, '0-0'}
`;

/** One raw stream entry as XRANGE / XREAD return it. */
export type StreamEntry = [id: string, fields: string[]];

/** The event of a stream entry: its id is the entry id's first part, its body the `e` field. */
export function eventOfEntry([id, fields]: StreamEntry): TrackedEvent {
  const at = fields.indexOf('e');
  return { id: id.split('-')[0] ?? id, event: JSON.parse(fields[at + 1] ?? 'null') as StreamEvent };
}

const idNumber = (entryId: string) => Number(entryId.split('-')[0]);

/**
 * Job events in Redis: one stream per job whose entry ids are the event ids, trimmed to the last
 * few hundred, expiring `finishedTtlMs` after `done`. The shared store behind backfills on every instance.
 */
export function createRedisJobEventLog(redis: Redis, o: RedisJobEventLogOptions = {}) {
  const maxLen = o.maxLenPerJob ?? 300;
  const finishedTtlMs = o.finishedTtlMs ?? 3_600_000;
  const idleTtlMs = o.idleTtlMs ?? 86_400_000;
  const prefix = o.prefix ?? 'cg:events:';
  if (!('jobEventAppend' in redis)) {
    redis.defineCommand('jobEventAppend', { numberOfKeys: 1, lua: APPEND });
    redis.defineCommand('jobEventReadAfter', { numberOfKeys: 1, lua: READ_AFTER });
  }
  const scripts = redis as unknown as {
    jobEventAppend(key: string, id: string, maxLen: number, body: string, ttlMs: number): Promise<number>;
    jobEventReadAfter(key: string, start: string): Promise<[StreamEntry[], string]>;
  };
  const key = (promptId: string) => `${prefix}${promptId}`;

  return {
    key,
    /** Appends one numbered event; false when its id is not above the job's last (a repeat: nothing written). */
    async append(promptId: string, event: TrackedEvent): Promise<boolean> {
      const id = Math.floor(Number(event.id));
      if (!(id > 0)) throw new Error(`job event id must be a positive integer, got "${event.id}"`);
      const ttl = event.event.type === 'done' ? finishedTtlMs : idleTtlMs;
      const added = await scripts.jobEventAppend(
        key(promptId),
        String(id),
        maxLen,
        JSON.stringify(event.event),
        ttl,
      );
      return added === 1;
    },
    /** The kept events after `afterId` (0: all), and whether some after it were trimmed away. */
    async readAfter(promptId: string, afterId: number): Promise<JobEventBackfill> {
      const after = Math.max(0, Math.floor(afterId));
      const [entries, firstKept] = await scripts.jobEventReadAfter(
        key(promptId),
        after > 0 ? `(${after}-0` : '-',
      );
      // Trimmed ids are all below the first kept one; ids may skip, so this errs towards "missed".
      return { events: entries.map(eventOfEntry), missed: idNumber(firstKept) > after + 1 };
    },
    /** The newest `status` or `done` snapshot among the job's last few events (live state for any instance). */
    async latestSnapshot(promptId: string, look = 20): Promise<JobSnapshot | undefined> {
      const entries = (await redis.xrevrange(key(promptId), '+', '-', 'COUNT', look)) as StreamEntry[];
      for (const entry of entries) {
        const { event } = eventOfEntry(entry);
        if (event.type === 'status' || event.type === 'done') return event.snapshot;
      }
      return undefined;
    },
    /** The entry id of the job's newest event (`0-0` when none): where a reader starts to see only new ones. */
    async lastEntryId(promptId: string): Promise<string> {
      const last = (await redis.xrevrange(key(promptId), '+', '-', 'COUNT', 1))[0];
      return last?.[0] ?? '0-0';
    },
  };
}

export type RedisJobEventLog = ReturnType<typeof createRedisJobEventLog>;
