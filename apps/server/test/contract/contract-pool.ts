import { expect } from 'vitest';
import type { ComfyTestApp } from '../comfy-fixture.ts';
import { tinyWorkflow } from '../comfy-fixture.ts';
import { startPoolApp } from '../pool/pool-kit.ts';
import { createCall, errorOf } from './contract-client.ts';
import type { Call } from './contract-client.ts';
import type { createContractChecker } from './contract-kit.ts';

const JOB = '/api/comfy/jobs/{prompt_id}';
const DRAIN = '/api/comfy/backends/{name}/drain';
const RESUME = '/api/comfy/backends/{name}/resume';

/** Priority is for admins: at submit (queue, text2img) and later (PATCH a job). One server. */
export async function checkPriority(app: ComfyTestApp, call: Call): Promise<void> {
  const plain = await app.createUser('priority@example.com');
  const mine = await call('POST', '/api/comfy/queue', {
    token: plain.token,
    json: { workflow: tinyWorkflow(7) },
  });
  expect(mine.status).toBe(200);
  const asUser = { token: plain.token, json: { workflow: tinyWorkflow(8), priority: 5 } };
  const refused = await call('POST', '/api/comfy/queue', asUser);
  expect(refused.status).toBe(403);
  expect(errorOf(refused).message).toContain('priority');
  expect(
    (await call('POST', '/api/comfy/queue', { json: { workflow: tinyWorkflow(9), priority: 5 } })).status,
  ).toBe(200);
  const t2i = { caption: 'a lighthouse', width: 64, height: 64, steps: 2, priority: 3 };
  expect((await call('POST', '/api/comfy/text2img', { token: plain.token, json: t2i })).status).toBe(403);
  expect((await call('POST', '/api/comfy/text2img', { json: t2i })).status).toBe(200);

  const prompt = { params: { prompt_id: mine.body['prompt_id'] as string } };
  const set = await call('PATCH', JOB, { ...prompt, json: { priority: 10 } });
  expect(set.status).toBe(200);
  expect(set.body).toMatchObject({ ...prompt.params, priority: 10 });
  expect((await call('PATCH', JOB, { ...prompt, token: plain.token, json: { priority: 10 } })).status).toBe(
    403,
  );
  expect((await call('PATCH', JOB, { ...prompt, json: { priority: 101 } })).status).toBe(400);
  const unknown = { params: { prompt_id: 'no-such-prompt' }, json: { priority: 1 } };
  expect((await call('PATCH', JOB, unknown)).status).toBe(404);
  // One ComfyUI server: there is no pool to drain.
  expect((await call('POST', DRAIN, { params: { name: 'default' } })).status).toBe(404);
  await app.services.comfy.waitForEnd(prompt.params.prompt_id);
}

/** Two servers behind one gateway: drain/resume, `backend` on object-info and view, health. */
export async function checkPool(checker: ReturnType<typeof createContractChecker>): Promise<void> {
  await using pool = await startPoolApp([{}, {}]);
  await pool.connected();
  const call = createCall(pool, checker);
  const health = await call('GET', '/api/comfy/health');
  expect((health.body['service'] as { backends: unknown[] }).backends).toHaveLength(2);

  const s1 = { params: { name: 's1' } };
  const s2 = { params: { name: 's2' } };
  const plain = await pool.createUser('pool@example.com');
  expect((await call('POST', DRAIN, { ...s1, token: plain.token })).status).toBe(403);
  expect((await call('POST', RESUME, { ...s1, token: plain.token })).status).toBe(403);
  expect((await call('POST', DRAIN, { params: { name: 'nope' } })).status).toBe(404);
  expect((await call('POST', RESUME, { params: { name: 'nope' } })).status).toBe(404);

  // The same workflow once on each server: two files of the same name, one per server.
  const runOn = async (drained: typeof s1) => {
    expect((await call('POST', DRAIN, drained)).body).toEqual({ name: drained.params.name, draining: true });
    const queued = await call('POST', '/api/comfy/queue', { json: { workflow: tinyWorkflow(1) } });
    expect(queued.status).toBe(200);
    const done = await pool.untilDone(queued.body['prompt_id'] as string);
    expect((await call('POST', RESUME, drained)).body).toEqual({
      name: drained.params.name,
      draining: false,
    });
    return done.images?.[0];
  };
  const onS1 = await runOn(s2);
  const onS2 = await runOn(s1);
  expect([onS1?.backend, onS2?.backend]).toEqual(['s1', 's2']);
  expect(onS2?.filename).toBe(onS1?.filename);
  const query = { filename: onS1?.filename ?? '', subfolder: onS1?.subfolder ?? '', type: 'output' };
  const ambiguous = await call('GET', '/api/comfy/view', { query });
  expect(ambiguous.status).toBe(400);
  expect(errorOf(ambiguous).message).toContain('backend');
  expect((await call('GET', '/api/comfy/view', { query: { ...query, backend: 's2' } })).status).toBe(200);

  expect((await call('GET', '/api/comfy/object-info', { query: { backend: 's1' } })).status).toBe(200);
  expect((await call('GET', '/api/comfy/object-info', { query: { backend: 'nope' } })).status).toBe(404);
}
