import type { JobSnapshot } from '@comfy-gateway/schema';
import { readSse, samplerWorkflow } from '../comfy-fixture.ts';
import type { SseMessage } from '../comfy-fixture.ts';
import type { GatewayInstance } from './gateway-instance.ts';

let seed = 1;

/** `POST /api/comfy/queue` of a sampler workflow of `steps` steps; returns the response. */
export function submitRaw(
  on: GatewayInstance,
  token: string,
  o: { steps?: number; idempotencyKey?: string; seed?: number } = {},
): Promise<Response> {
  return on.request('/api/comfy/queue', {
    method: 'POST',
    token,
    json: { workflow: samplerWorkflow(o.seed ?? seed++, o.steps ?? 6) },
    ...(o.idempotencyKey ? { headers: { 'idempotency-key': o.idempotencyKey } } : {}),
  });
}

/** Submits and expects 200; returns the prompt id. */
export async function submit(
  on: GatewayInstance,
  token: string,
  o: { steps?: number; idempotencyKey?: string; seed?: number } = {},
): Promise<string> {
  const res = await submitRaw(on, token, o);
  if (res.status !== 200) throw new Error(`submit on ${on.name}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { prompt_id: string }).prompt_id;
}

/** `GET /api/comfy/stream/:id`, resumed after `lastEventId` when given. */
export function openSse(
  on: GatewayInstance,
  promptId: string,
  token: string,
  lastEventId?: string,
): Promise<Response> {
  return on.request(`/api/comfy/stream/${promptId}`, {
    token,
    ...(lastEventId !== undefined ? { headers: { 'last-event-id': lastEventId } } : {}),
  });
}

/** Reads a whole SSE stream (to its end); `onMessage` sees each event as it comes. */
export async function streamAll(
  on: GatewayInstance,
  promptId: string,
  token: string,
  o: { lastEventId?: string; onMessage?: (m: SseMessage) => void } = {},
): Promise<SseMessage[]> {
  const res = await openSse(on, promptId, token, o.lastEventId);
  if (res.status !== 200) throw new Error(`stream on ${on.name}: ${res.status} ${await res.text()}`);
  return readSse(res, Infinity, o.onMessage);
}

/** `POST /api/comfy/cancel/:id`. */
export function cancel(on: GatewayInstance, promptId: string, token: string): Promise<Response> {
  return on.request(`/api/comfy/cancel/${promptId}`, { method: 'POST', token });
}

/** `GET /api/comfy/status/:id`: the status code and, when 200, the snapshot. */
export async function status(
  on: GatewayInstance,
  promptId: string,
  token: string,
): Promise<{ code: number; snapshot: JobSnapshot | null }> {
  const res = await on.request(`/api/comfy/status/${promptId}`, { token });
  return { code: res.status, snapshot: res.status === 200 ? ((await res.json()) as JobSnapshot) : null };
}

/** `GET /api/comfy/jobs/:id` (the ledger record): the status code and the job's status. */
export async function jobRecord(
  on: GatewayInstance,
  promptId: string,
  token: string,
): Promise<{ code: number; status: string | null }> {
  const res = await on.request(`/api/comfy/jobs/${promptId}`, { token });
  return {
    code: res.status,
    status: res.status === 200 ? ((await res.json()) as { status: string }).status : null,
  };
}

/** The error code of a JSON error answer. */
export const errorCode = async (res: Response): Promise<string> =>
  ((await res.json()) as { error: { code: string } }).error.code;

/** What one SSE connection delivered, and whether it ended with `done` or was cut before. */
export interface StreamRun {
  events: SseMessage[];
  sawDone: boolean;
  /** The connection failed (its instance died) rather than ending. */
  cut: boolean;
}

/** Reads a stream already opened (200) to its end, or to the failure of its connection. */
export async function readToEndOrCut(res: Response): Promise<StreamRun> {
  const events: SseMessage[] = [];
  let cut = false;
  await readSse(res, Infinity, (m) => events.push(m)).catch(() => {
    cut = true;
  });
  return { events, sawDone: events.at(-1)?.event === 'done', cut };
}

/** Ids of numbered events, in order. */
export const idsOf = (events: SseMessage[]): number[] =>
  events.filter((m) => m.id !== null).map((m) => Number(m.id));

/** True when each id is above the one before (ids may skip across a takeover, never repeat). */
export const strictlyRising = (ids: number[]): boolean =>
  ids.every((id, k) => k === 0 || id > (ids[k - 1] ?? -1));

/** Submits `n` jobs, the k-th on `on[k % on.length]`, a few at a time; returns the ids in order. */
export async function submitSpread(
  on: readonly GatewayInstance[],
  token: string,
  n: number,
  o: { steps?: number } = {},
): Promise<string[]> {
  const ids: string[] = [];
  for (let k = 0; k < n; k += 10) {
    const batch = Array.from({ length: Math.min(10, n - k) }, (_, j) =>
      submit(on[(k + j) % on.length] as GatewayInstance, token, o),
    );
    ids.push(...(await Promise.all(batch)));
  }
  return ids;
}

/** The prompt ids in a simulator's `/history`. */
export async function historyIds(simUrl: string): Promise<string[]> {
  const res = await fetch(`${simUrl}/history?max_items=100000`);
  return Object.keys((await res.json()) as Record<string, unknown>);
}

/** Counts of each status among `ids` in a ledger map, for failure messages. */
export function statusCounts(ledger: Map<string, string>, ids: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const id of ids) {
    const s = ledger.get(id) ?? 'missing';
    counts[s] = (counts[s] ?? 0) + 1;
  }
  return counts;
}
