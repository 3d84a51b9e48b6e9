import { describe, expect, it } from 'vitest';
import { modelWorkflow, must, queueOk, ranOn, startPoolApp, submitAs } from './pool-kit.ts';

const sims = [
  { checkpoints: ['a.safetensors', 'shared.safetensors'] },
  { checkpoints: ['b.safetensors', 'shared.safetensors'] },
  { checkpoints: ['c.safetensors', 'shared.safetensors'] },
];

describe('pool: routing by capability', () => {
  it('sends each job to a server that has its checkpoint; images name the server', async () => {
    await using app = await startPoolApp(sims);
    await app.connected();
    const { token } = await app.createUser('u@example.com');
    const ids = [];
    for (const [i, ckpt] of ['a', 'b', 'c', 'b', 'a'].entries())
      ids.push(await queueOk(app, token, { workflow: modelWorkflow(`${ckpt}.safetensors`, i) }));
    const finals = await Promise.all(ids.map((id) => app.untilDone(id)));
    expect(finals.map((f) => f.status)).toEqual(Array(5).fill('completed'));
    expect(ids.map((id) => ranOn(app, id))).toEqual([[0], [1], [2], [1], [0]]);
    expect(finals.map((f) => f.images?.[0]?.backend)).toEqual(['s1', 's2', 's3', 's2', 's1']);
    const row = app.db.prepare('SELECT backend FROM jobs WHERE prompt_id = ?').get(ids[1]);
    expect(row).toEqual({ backend: 's2' });

    // The image comes from the server that made it; the owner may view it, nobody else.
    const img = finals[1]?.images?.[0];
    const q = new URLSearchParams({
      filename: img?.filename ?? '',
      subfolder: '',
      type: 'output',
      backend: 's2',
    });
    const view = await app.request(`/api/comfy/view?${q.toString()}`, { token });
    expect(view.status).toBe(200);
    expect(view.headers.get('content-type')).toBe('image/png');
    const direct = await fetch(
      `${must(app.sims[1]).url}/view?${new URLSearchParams({ filename: img?.filename ?? '', subfolder: '', type: 'output' }).toString()}`,
    );
    expect(Buffer.from(await view.arrayBuffer()).equals(Buffer.from(await direct.arrayBuffer()))).toBe(true);
    // The same file name on s1 (the first job's): without `backend` the gateway cannot tell which.
    if (finals[0]?.images?.[0]?.filename === img?.filename) {
      q.delete('backend');
      expect((await app.request(`/api/comfy/view?${q.toString()}`, { token })).status).toBe(400);
    }
    const other = await app.createUser('other@example.com');
    expect((await app.request(`/api/comfy/view?${q.toString()}`, { token: other.token })).status).toBe(404);
  });

  it('refuses at submit a job no server can run, naming what is missing where', async () => {
    await using app = await startPoolApp(sims);
    await app.connected();
    const { token } = await app.createUser('u@example.com');
    const res = await submitAs(app, token, { workflow: modelWorkflow('zzz.safetensors', 1) });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as {
      error: { message: string; details: { fields: Record<string, string[]> } };
    };
    expect(error.message).toMatch(/no ComfyUI server can run this job/);
    expect(error.details.fields['workflow']?.join(' ')).toMatch(/s1: .*zzz.*s2: .*s3: /s);

    // text2img: the field, with suggestions drawn from every server.
    const t2i = await app.request('/api/comfy/text2img', {
      token,
      method: 'POST',
      json: { caption: 'a cat', checkpoint: 'b.safetensorz', width: 64, height: 64, steps: 2 },
    });
    expect(t2i.status).toBe(400);
    const t2iBody = (await t2i.json()) as { error: { details: { suggestions: Record<string, string[]> } } };
    expect(t2iBody.error.details.suggestions['checkpoint']).toContain('b.safetensors');
  });

  it('answers object_info as the union of all servers, or one server with ?backend=', async () => {
    await using app = await startPoolApp(sims);
    await app.connected();
    const { token } = await app.createUser('u@example.com');
    const ckpts = async (q: string) => {
      const res = await app.request(`/api/comfy/object-info${q.toString()}`, { token });
      expect(res.status).toBe(200);
      const info = (await res.json()) as Record<string, { input: { required: Record<string, [string[]]> } }>;
      return info['CheckpointLoaderSimple']?.input.required['ckpt_name']?.[0];
    };
    expect((await ckpts(''))?.sort()).toEqual(
      ['a.safetensors', 'b.safetensors', 'c.safetensors', 'shared.safetensors'].sort(),
    );
    expect(await ckpts('?backend=s2')).toEqual(['b.safetensors', 'shared.safetensors']);
    expect((await app.request('/api/comfy/object-info?backend=nope', { token })).status).toBe(404);
  });

  it('reports every server in health; URLs and errors for admins only', async () => {
    await using app = await startPoolApp(sims);
    await app.connected();
    const { token } = await app.createUser('u@example.com');
    type H = { service: { connection_state: string; backends: Array<Record<string, unknown>> } };
    const user = (await (await app.request('/api/comfy/health', { token })).json()) as H;
    expect(user.service.connection_state).toBe('connected');
    expect(user.service.backends.map((b) => [b['name'], b['state'], b['draining']])).toEqual([
      ['s1', 'connected', false],
      ['s2', 'connected', false],
      ['s3', 'connected', false],
    ]);
    expect(user.service.backends[0]).not.toHaveProperty('url');
    const admin = (await (await app.request('/api/comfy/health', { token: app.adminToken })).json()) as H;
    expect(admin.service.backends[0]?.['url']).toBe(app.sims[0]?.url);
    expect((await app.request('/readyz')).status).toBe(200);
  });
});
