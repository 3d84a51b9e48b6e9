import { afterEach, describe, expect, it, vi } from 'vitest';
import { readSse, startComfyApp, tinyWorkflow } from './comfy-fixture.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('observability', () => {
  it('carries the request id of a gateway request to its ComfyUI calls', async () => {
    await using app = await startComfyApp();
    await app.connected();
    const spy = vi.spyOn(globalThis, 'fetch');
    const res = await app.request('/api/comfy/queue', {
      token: app.adminToken,
      method: 'POST',
      json: { workflow: tinyWorkflow(1) },
      headers: { 'X-Request-Id': 'obs-req-42' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('obs-req-42');
    const upstream = spy.mock.calls.filter(([input]) =>
      (input instanceof Request ? input.url : String(input)).startsWith(`${app.sim.url}/prompt`),
    );
    expect(upstream).toHaveLength(1);
    expect(new Headers(upstream[0]?.[1]?.headers).get('x-request-id')).toBe('obs-req-42');
    // A generated id is carried the same way.
    spy.mockClear();
    const gen = await app.request('/api/comfy/queue', { token: app.adminToken });
    const id = gen.headers.get('x-request-id') ?? '';
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const queueCalls = spy.mock.calls.filter(([input]) =>
      (input instanceof Request ? input.url : String(input)).startsWith(`${app.sim.url}/queue`),
    );
    expect(queueCalls.map(([, init]) => new Headers(init?.headers).get('x-request-id'))).toContain(id);
  });

  it('exposes every series the issue names at /metrics after a job', async () => {
    await using app = await startComfyApp({}, { COMFY_VIEW_RATE_LIMIT_PER_MIN: '1' });
    await app.connected();
    const { prompt_id } = (await (
      await app.request('/api/comfy/queue', {
        token: app.adminToken,
        method: 'POST',
        json: { workflow: tinyWorkflow(2) },
      })
    ).json()) as { prompt_id: string };
    const events = await readSse(
      await app.request(`/api/comfy/stream/${prompt_id}`, { token: app.adminToken }),
    );
    expect(events.at(-1)?.event).toBe('done');
    await app.request('/api/comfy/object-info', { token: app.adminToken });
    await app.request('/api/comfy/object-info', { token: app.adminToken });
    const view = () => app.request('/api/comfy/view?filename=missing.png', { token: app.adminToken });
    await view();
    expect((await view()).status).toBe(429);

    const text = await (await app.request('/metrics')).text();
    const series = [
      /comfy_gateway_http_request_duration_seconds_count\{method="POST",route="\/api\/comfy\/queue",status="200"\} 1/,
      /comfy_gateway_queue_depth 0/,
      /comfy_gateway_job_duration_seconds_count\{outcome="completed"\} 1/,
      /comfy_gateway_comfy_reconnects_total \d+/,
      /comfy_gateway_comfy_connection_state\{state="connected"\} 1/,
      /comfy_gateway_reconciliation_rescues \d+/,
      /comfy_gateway_object_info_cache_hits [1-9]/,
      /comfy_gateway_rate_limit_rejections_total\{route="\/api\/comfy\/view"\} 1/,
      /comfy_gateway_active_subscribers\{transport="sse"\} 0/,
      /comfy_gateway_active_subscribers\{transport="trpc"\} 0/,
    ];
    for (const s of series) expect(text).toMatch(s);
  });
});
