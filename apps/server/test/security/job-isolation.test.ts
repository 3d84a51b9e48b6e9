import { randomUUID } from 'node:crypto';
import type { ImageRef, QueueState } from '@comfy-gateway/schema';
import { createTRPCClient, createWSClient, httpBatchLink, TRPCClientError, wsLink } from '@trpc/client';
import type { TRPCClient } from '@trpc/client';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { AppRouter } from '@comfy-gateway/api';
import { samplerWorkflow, startComfyApp, tinyWorkflow } from '../comfy-fixture.ts';
import type { ComfyTestApp } from '../comfy-fixture.ts';
import { submitOk, untilEnded } from '../jobs/job-kit.ts';

/**
 * Issue 9's findings: any signed-in user saw every prompt id in the queue, read anyone's status,
 * images, stream and history, cancelled anyone's job, and guessed image names through /view.
 * User B must now get the very 404 an id that never existed gets, over REST, tRPC HTTP and WS.
 */
let app: ComfyTestApp;
let a: { id: number; token: string };
let b: { id: number; token: string };
let done: string; // A's finished job
let running: string; // A's running job
let waiting: string; // A's job queued behind it
let foreign: string; // queued on ComfyUI by another program
let image: ImageRef; // an output of `done`
const never = randomUUID();

const viewPath = (ref: ImageRef) =>
  `/api/comfy/view?${new URLSearchParams({ filename: ref.filename, subfolder: ref.subfolder, type: ref.type }).toString()}`;

beforeAll(async () => {
  app = await startComfyApp({ stepMs: 20 });
  await app.connected();
  a = await app.createUser('a@example.com');
  b = await app.createUser('b@example.com');
  done = await submitOk(app, a.token, tinyWorkflow(3));
  const end = await untilEnded(app, done);
  image = end.images?.[0] as ImageRef;
  running = await submitOk(app, a.token, samplerWorkflow(1, 1000));
  waiting = await submitOk(app, a.token, samplerWorkflow(2, 1000));
  const res = await fetch(`${app.sim.url}/prompt`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: samplerWorkflow(3, 1000), client_id: 'another-program' }),
  });
  foreign = ((await res.json()) as { prompt_id: string }).prompt_id;
  // A hook, where expect.poll is not allowed: vi.waitFor retries the callback until it holds.
  await vi.waitFor(() => expect(app.services.comfy.conn().tracker.get(running)?.status).toBe('running'), {
    timeout: 5000,
    interval: 20,
  });
});

afterAll(async () => {
  await app?.[Symbol.asyncDispose]();
});

/** The 404 body with the asked-for id written as `<id>`, to compare with a never-existing id's. */
async function notFoundBody(res: Response, id: string): Promise<string> {
  expect(res.status).toBe(404);
  return (await res.text()).replaceAll(id, '<id>');
}

describe('job isolation over REST', () => {
  const routes: [string, (id: string) => string, string?][] = [
    ['status', (id) => `/api/comfy/status/${id}`],
    ['history', (id) => `/api/comfy/history/${id}`],
    ['stream', (id) => `/api/comfy/stream/${id}`],
    ['jobs byId', (id) => `/api/comfy/jobs/${id}`],
    ['cancel', (id) => `/api/comfy/cancel/${id}`, 'POST'],
  ];

  it.each(routes)(
    '%s: another user gets the 404 of an id that never existed',
    async (_name, path, method) => {
      const asB = (id: string) => app.request(path(id), { token: b.token, method: method ?? 'GET' });
      const expected = await notFoundBody(await asB(never), never);
      for (const id of [done, running, waiting, foreign])
        expect(await notFoundBody(await asB(id), id)).toBe(expected);
    },
  );

  it('cancel by another user leaves the jobs as they were', async () => {
    await app.request(`/api/comfy/cancel/${waiting}`, { token: b.token, method: 'POST' });
    expect(app.services.comfy.conn().tracker.get(waiting)?.status).toBe('queued');
    expect(app.services.comfy.conn().tracker.get(running)?.status).toBe('running');
  });

  it('the owner and admins read the job; only admins see prompts of other programs', async () => {
    for (const token of [a.token, app.adminToken]) {
      for (const p of [`/api/comfy/status/${done}`, `/api/comfy/history/${done}`, `/api/comfy/jobs/${done}`])
        expect((await app.request(p, { token })).status, p).toBe(200);
    }
    expect((await app.request(`/api/comfy/status/${foreign}`, { token: app.adminToken })).status).toBe(200);
    expect((await app.request(`/api/comfy/status/${foreign}`, { token: a.token })).status).toBe(404);
  });

  it('/view serves an image only to the owner of a job that made it (admins: any)', async () => {
    const expected = await notFoundBody(
      await app.request(viewPath({ ...image, filename: 'nothing_00001_.png' }), { token: b.token }),
      'nothing_00001_.png',
    );
    // Output names are counters: guessing one is no longer enough.
    expect(await notFoundBody(await app.request(viewPath(image), { token: b.token }), image.filename)).toBe(
      expected,
    );
    expect((await app.request(viewPath({ ...image, type: 'temp' }), { token: a.token })).status).toBe(404);
    for (const token of [a.token, app.adminToken]) {
      const res = await app.request(viewPath(image), { token });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      await res.arrayBuffer();
    }
  });

  it('JSON ingest needs the caller\u2019s prompt and a file among its outputs', async () => {
    const ingest = (token: string, body: Record<string, unknown>) =>
      app.request('/api/comfy/ingest', { token, method: 'POST', json: body });
    const expected = await notFoundBody(
      await ingest(b.token, { prompt_id: never, filename: image.filename }),
      never,
    );
    expect(
      await notFoundBody(await ingest(b.token, { prompt_id: done, filename: image.filename }), done),
    ).toBe(expected);
    // Owner of one prompt, file of another: refused.
    expect((await ingest(a.token, { prompt_id: running, filename: image.filename })).status).toBe(404);
    expect((await ingest(a.token, { prompt_id: done, filename: image.filename })).status).toBe(201);
  });

  it('the queue shows other users\u2019 items as positions only; admins see all with owners', async () => {
    const asB = (await (await app.request('/api/comfy/queue', { token: b.token })).json()) as QueueState;
    const text = JSON.stringify(asB);
    for (const id of [running, waiting, foreign]) expect(text).not.toContain(id);
    expect(asB.running).toEqual([{ position: 0, ours: true, mine: false }]);
    expect(asB.pending).toEqual([
      { position: 0, ours: true, mine: false },
      { position: 1, ours: expect.any(Boolean), mine: false },
    ]);
    const asA = (await (await app.request('/api/comfy/queue', { token: a.token })).json()) as QueueState;
    expect(asA.running[0]).toMatchObject({ prompt_id: running, mine: true });
    expect(asA.pending.map((i) => i.prompt_id)).toEqual([waiting, undefined]);
    const asAdmin = (await (
      await app.request('/api/comfy/queue', { token: app.adminToken })
    ).json()) as QueueState;
    expect(asAdmin.pending.map((i) => [i.prompt_id, i.owner_id])).toEqual([
      [waiting, a.id],
      [foreign, null],
    ]);
  });

  it('the owner may cancel their own job', async () => {
    const res = await app.request(`/api/comfy/cancel/${waiting}`, { token: a.token, method: 'POST' });
    expect(await res.json()).toEqual({ prompt_id: waiting, cancelled: true });
  });

  it('jobs lists only the caller\u2019s own; user= is for admins', async () => {
    const list = async (token: string, q = '') =>
      (await (await app.request(`/api/comfy/jobs${q}`, { token })).json()) as {
        items: { prompt_id: string }[];
      };
    expect((await list(b.token)).items).toEqual([]);
    expect((await list(a.token)).items.map((j) => j.prompt_id)).toEqual([waiting, running, done]);
    expect((await app.request(`/api/comfy/jobs?user=${a.id}`, { token: b.token })).status).toBe(403);
    expect((await list(app.adminToken, `?user=${a.id}`)).items).toHaveLength(3);
    expect((await list(app.adminToken, '?user=all')).items.map((j) => j.prompt_id)).toContain(done);
  });
});

type Client = TRPCClient<AppRouter>;

async function expectNotFound(call: Promise<unknown>): Promise<string> {
  const err = await call.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TRPCClientError);
  const e = err as TRPCClientError<AppRouter>;
  expect(e.data).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404 });
  return e.message;
}

/** The first event or error of an onStatus subscription. */
function firstOfSubscription(client: Client, prompt_id: string): Promise<unknown> {
  return new Promise((resolve) => {
    const sub = client.comfy.onStatus.subscribe(
      { prompt_id },
      {
        onData: (d) => {
          sub.unsubscribe();
          resolve(d);
        },
        onError: (err) => {
          sub.unsubscribe();
          resolve(err);
        },
      },
    );
  });
}

async function checkTrpc(client: Client, subscriptions: (id: string) => Promise<void>) {
  const ids = [done, running, foreign];
  const asked = async (id: string) =>
    [
      await expectNotFound(client.comfy.status.query({ prompt_id: id })),
      await expectNotFound(client.comfy.history.query({ prompt_id: id })),
      await expectNotFound(client.comfy.jobs.byId.query({ prompt_id: id })),
      await expectNotFound(client.comfy.cancel.mutate({ prompt_id: id })),
      await expectNotFound(client.comfy.ingestFromComfy.mutate({ prompt_id: id, filename: image.filename })),
    ].map((m) => m.replaceAll(id, '<id>'));
  const expected = await asked(never);
  for (const id of ids) expect(await asked(id)).toEqual(expected);
  for (const id of ids) await subscriptions(id);
  const queue = await client.comfy.queueState.query();
  expect(JSON.stringify(queue)).not.toContain(running);
  expect(queue.running).toEqual([{ position: 0, ours: true, mine: false }]);
  expect((await client.comfy.jobs.list.query({})).items).toEqual([]);
  expect(app.services.comfy.conn().tracker.get(running)?.status).toBe('running');
}

describe('job isolation over tRPC', () => {
  it('HTTP: another user gets NOT_FOUND for every job procedure and an anonymous queue', async () => {
    const headers = { authorization: `Bearer ${b.token}` };
    const client = createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: `${app.url}/trpc`, transformer: superjson, headers })],
    });
    // onStatus over tRPC's SSE transport, read as an EventSource would: GET with the superjson input.
    await checkTrpc(client, async (prompt_id) => {
      const input = encodeURIComponent(JSON.stringify({ json: { prompt_id } }));
      const res = await app.request(`/trpc/comfy.onStatus?input=${input}`, { token: b.token });
      const text = await res.text();
      expect(text).toContain('NOT_FOUND');
      expect(text).not.toContain('"type":"status"');
    });
  });

  it('WebSocket: the same, and the owner still sees the job', async () => {
    const connect = (token: string) =>
      createWSClient({
        url: `${app.url.replace('http', 'ws')}/trpc`,
        WebSocket: WebSocket as never,
        connectionParams: { token },
      });
    const wsB = connect(b.token);
    const wsA = connect(a.token);
    try {
      const client = createTRPCClient<AppRouter>({
        links: [wsLink({ client: wsB, transformer: superjson })],
      });
      await checkTrpc(client, async (id) => {
        const first = await firstOfSubscription(client, id);
        expect(first).toBeInstanceOf(TRPCClientError);
        expect((first as TRPCClientError<AppRouter>).data).toMatchObject({ code: 'NOT_FOUND' });
      });
      const owner = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsA, transformer: superjson })] });
      expect((await owner.comfy.status.query({ prompt_id: running })).status).toBe('running');
      expect((await owner.comfy.jobs.byId.query({ prompt_id: done })).images).toEqual([image]);
    } finally {
      await wsB.close();
      await wsA.close();
    }
  });
});
