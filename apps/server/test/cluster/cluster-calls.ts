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
