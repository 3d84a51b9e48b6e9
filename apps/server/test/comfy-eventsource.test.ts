import { EventSource } from 'eventsource';
import type { FetchLike } from 'eventsource';
import { describe, expect, it } from 'vitest';
import { SSE_RETRY_MS } from '../src/comfy/sse-route.ts';
import { samplerWorkflow, startComfyApp } from './comfy-fixture.ts';

/** A standard EventSource (the `eventsource` package) with a bearer token, counting its requests. */
function openEventSource(url: string, token: string) {
  const requests: { lastEventId: string | null; status: number }[] = [];
  const authed: FetchLike = async (input, init) => {
    const res = await fetch(input, {
      ...init,
      headers: { ...init.headers, authorization: `Bearer ${token}` },
    });
    requests.push({ lastEventId: new Headers(init.headers).get('last-event-id'), status: res.status });
    return res;
  };
  const es = new EventSource(url, { fetch: authed });
  const events: { type: string; id: string }[] = [];
  // `error` is also the EventSource's own connection-error event: only messages (with data) count.
  for (const type of ['status', 'images', 'warning', 'error', 'done'])
    es.addEventListener(type, (e) => {
      if (typeof e.data === 'string') events.push({ type, id: e.lastEventId });
    });
  /** Resolves once the EventSource has given up for good (CLOSED), not on a transient error. */
  const closed = new Promise<void>((resolve) => {
    es.addEventListener('error', () => {
      if (es.readyState === EventSource.CLOSED) resolve();
    });
  });
  return { es, events, requests, closed };
}

describe('a standard EventSource following a prompt', () => {
  it('receives every event through done, reconnects once, gets 204 and stops', async () => {
    await using app = await startComfyApp({ stepMs: 5 });
    await app.connected();
    const res = await app.request('/api/comfy/queue', {
      token: app.adminToken,
      method: 'POST',
      json: { workflow: samplerWorkflow(11, 4) },
    });
    const { prompt_id } = (await res.json()) as { prompt_id: string };
    const source = openEventSource(`${app.url}/api/comfy/stream/${prompt_id}`, app.adminToken);
    await source.closed;
    source.es.close();

    const types = source.events.map((e) => e.type);
    expect(types[0]).toBe('status');
    expect(types).toContain('images');
    expect(types.filter((t) => t === 'done')).toHaveLength(1);
    expect(types.at(-1)).toBe('done');
    const ids = source.events.map((e) => Number(e.id));
    expect(ids).toEqual(ids.map((_, i) => i + 1));
    // One stream, then one reconnect from the `done` id that the server ends with 204.
    expect(source.requests).toEqual([
      { lastEventId: null, status: 200 },
      { lastEventId: String(ids.at(-1)), status: 204 },
    ]);
    expect(source.es.readyState).toBe(EventSource.CLOSED);
  });

  it('starts with a retry hint, and answers 204 to a resume at or past done (header or query)', async () => {
    await using app = await startComfyApp({ stepMs: 2 });
    await app.connected();
    const { prompt_id } = (await (
      await app.request('/api/comfy/queue', {
        token: app.adminToken,
        method: 'POST',
        json: { workflow: samplerWorkflow(12, 2) },
      })
    ).json()) as { prompt_id: string };
    const live = await app.request(`/api/comfy/stream/${prompt_id}`, { token: app.adminToken });
    const body = await live.text();
    expect(body.startsWith(`retry: ${SSE_RETRY_MS}\n`)).toBe(true);
    const doneId = /id: (\d+)\ndata: \{"type":"done"/.exec(body)?.[1] ?? '';
    expect(doneId).not.toBe('');

    for (const resume of [
      { path: '', headers: { 'Last-Event-ID': doneId } },
      { path: `?lastEventId=${doneId}`, headers: {} as Record<string, string> },
      { path: '', headers: { 'Last-Event-ID': String(Number(doneId) + 5) } },
    ]) {
      const r = await app.request(`/api/comfy/stream/${prompt_id}${resume.path}`, {
        token: app.adminToken,
        headers: resume.headers,
      });
      expect(r.status).toBe(204);
      expect(await r.text()).toBe('');
    }
    const tail = await app.request(`/api/comfy/stream/${prompt_id}`, {
      token: app.adminToken,
      headers: { 'Last-Event-ID': String(Number(doneId) - 1) },
    });
    expect(tail.status).toBe(200);
    expect(await tail.text()).toMatch(new RegExp(`id: ${doneId}\\ndata: \\{"type":"done"`));
  });
});
