import { describe, expect, it } from 'vitest';
import { startComfyApp, tinyWorkflow } from '../comfy-fixture.ts';
import type { ComfyTestApp } from '../comfy-fixture.ts';
import { failureOf, trpcHttp, trpcWs } from './served-kit.ts';

/** What must never reach a non-admin: the upstream address (URL or port) and its answers. */
function expectNoUpstream(t: ComfyTestApp, text: string) {
  expect(text).not.toContain(t.sim.url);
  expect(text).not.toContain(String(t.sim.port));
  expect(text).not.toContain('comfy-sim injected failure');
}

describe('health', () => {
  it('shows the ComfyUI URL and last error to admins only (REST, tRPC HTTP and WebSocket)', async () => {
    await using t = await startComfyApp();
    await t.connected();
    const b = await t.createUser('bob@example.com');

    const admin = (await (await t.request('/api/comfy/health', { token: t.adminToken })).json()) as {
      service: Record<string, unknown>;
    };
    expect(admin.service).toMatchObject({ base_url: t.config.app.comfy_api_url, last_error: null });

    const userRes = await t.request('/api/comfy/health', { token: b.token });
    const userText = await userRes.text();
    const user = JSON.parse(userText) as { service: Record<string, unknown> };
    expect(user.service).toMatchObject({ connection_state: 'connected', comfy_version: '0.3.64' });
    expect(user.service).not.toHaveProperty('base_url');
    expect(user.service).not.toHaveProperty('last_error');
    expectNoUpstream(t, userText);

    const viaHttp = await trpcHttp(t, b.token).comfy.health.query();
    expect(viaHttp.service).not.toHaveProperty('base_url');
    await using ws = trpcWs(t, b.token);
    expect((await ws.client.comfy.health.query()).service).not.toHaveProperty('base_url');
    expect((await trpcHttp(t, t.adminToken).comfy.health.query()).service?.base_url).toBe(
      t.config.app.comfy_api_url,
    );

    // After ComfyUI goes away the last error names it: admins read it, users do not.
    await t.sim.stop();
    await expect
      .poll(
        async () => {
          const h = (await (await t.request('/api/comfy/health', { token: t.adminToken })).json()) as {
            service: { last_error: string | null };
          };
          return h.service.last_error;
        },
        { timeout: 10_000 },
      )
      .not.toBeNull();
    const downText = await (await t.request('/api/comfy/health', { token: b.token })).text();
    expect((JSON.parse(downText) as { service: unknown }).service).not.toHaveProperty('last_error');
    expectNoUpstream(t, downText);
  });
});

describe('error messages', () => {
  it('a 503 says "ComfyUI is unavailable" to users and names the URL to admins', async () => {
    await using t = await startComfyApp();
    await t.connected();
    const b = await t.createUser('bob@example.com');
    await t.sim.stop();

    // A submit now waits in the gateway queue; reading the servers' queues still needs ComfyUI.
    const asUser = await t.request('/api/comfy/queue', { token: b.token });
    const userText = await asUser.text();
    expect(asUser.status).toBe(503);
    expect(JSON.parse(userText)).toEqual({
      error: { code: 'COMFY_UNAVAILABLE', message: 'ComfyUI is unavailable' },
    });
    expectNoUpstream(t, userText);

    const asAdmin = await t.request('/api/comfy/queue', { token: t.adminToken });
    expect(asAdmin.status).toBe(503);
    expect(((await asAdmin.json()) as { error: { message: string } }).error.message).toContain(t.sim.url);

    const viaHttp = await failureOf(trpcHttp(t, b.token).comfy.queueState.query());
    expect(viaHttp.message).toBe('ComfyUI is unavailable');
    expect(viaHttp.data).toMatchObject({ code: 'COMFY_UNAVAILABLE', httpStatus: 503 });
    expect(viaHttp.data).not.toHaveProperty('details');
    await using ws = trpcWs(t, b.token);
    const viaWs = await failureOf(ws.client.comfy.queueState.query());
    expect(viaWs.message).toBe('ComfyUI is unavailable');
    expectNoUpstream(
      t,
      JSON.stringify({ m: viaHttp.message, d: viaHttp.data, w: viaWs.message, wd: viaWs.data }),
    );
    const adminViaHttp = await failureOf(trpcHttp(t, t.adminToken).comfy.queueState.query());
    expect(adminViaHttp.message).toContain(t.sim.url);
  });

  it('upstream error bodies reach admins only; users get the code and a generic message', async () => {
    await using t = await startComfyApp();
    await t.connected();
    const b = await t.createUser('bob@example.com');
    t.sim.faults.failHttp({ status: 500, routes: /^\/prompt/ });

    const asUser = await t.request('/api/comfy/queue', {
      method: 'POST',
      token: b.token,
      json: { workflow: tinyWorkflow() },
    });
    const userText = await asUser.text();
    expect(asUser.status).toBe(502);
    expect(JSON.parse(userText)).toEqual({
      error: { code: 'UPSTREAM_ERROR', message: 'ComfyUI answered with an error' },
    });
    expectNoUpstream(t, userText);

    const asAdmin = await t.request('/api/comfy/queue', {
      method: 'POST',
      token: t.adminToken,
      json: { workflow: tinyWorkflow() },
    });
    const admin = (await asAdmin.json()) as {
      error: { message: string; details: { status: number; body: string } };
    };
    expect(admin.error.message).toBe('ComfyUI answered 500 to /prompt');
    expect(admin.error.details).toEqual({ status: 500, body: '500: comfy-sim injected failure' });

    const viaHttp = await failureOf(trpcHttp(t, b.token).comfy.queue.mutate({ workflow: tinyWorkflow() }));
    expect(viaHttp.message).toBe('ComfyUI answered with an error');
    expect(viaHttp.data).not.toHaveProperty('details');
    const adminViaHttp = await failureOf(
      trpcHttp(t, t.adminToken).comfy.queue.mutate({ workflow: tinyWorkflow() }),
    );
    expect(adminViaHttp.data).toMatchObject({
      details: { status: 500, body: '500: comfy-sim injected failure' },
    });
  });
});
