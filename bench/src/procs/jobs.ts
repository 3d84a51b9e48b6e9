import { postJson, sleep, tinyJob } from '../stack.ts';
import type { GatewayProc } from './gateway-proc.ts';

/** Submits a text2img job through the gateway (REST) and returns its prompt id. */
export async function submitJob(
  gw: GatewayProc,
  steps: number,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const r = await postJson<{ prompt_id: string }>(
    `${gw.url}/api/comfy/text2img`,
    tinyJob(steps, extra),
    gw.auth,
  );
  return r.prompt_id;
}

/** Polls the job's status until it ends; resolves with its final status. */
export async function waitForEnd(gw: GatewayProc, promptId: string, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${gw.url}/api/comfy/status/${promptId}`, { headers: gw.auth });
    const body = (await res.json()) as { status?: string };
    if (body.status && ['completed', 'failed', 'cancelled', 'interrupted'].includes(body.status))
      return body.status;
    if (Date.now() > deadline) throw new Error(`job ${promptId} did not end (last status ${body.status})`);
    await sleep(50);
  }
}
