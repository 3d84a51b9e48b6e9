import {
  createTRPCClient,
  createWSClient,
  httpBatchLink,
  httpSubscriptionLink,
  splitLink,
  TRPCClientError,
  wsLink,
} from '@trpc/client';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { appRouter, createCallerFactory, createContextInner } from '@comfy-gateway/api';
import type { AppRouter } from '@comfy-gateway/api';
import { ADMIN, startTestApp } from './fixture.ts';
import type { TestApp } from './fixture.ts';
import { makePng } from './images.ts';

function httpClient(t: TestApp, token?: string) {
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({ url: `${t.url}/trpc`, transformer: superjson }),
        false: httpBatchLink({
          url: `${t.url}/trpc`,
          transformer: superjson,
          headers: () => (token ? { authorization: `Bearer ${token}` } : {}),
        }),
      }),
    ],
  });
}

async function ingestPng(t: TestApp) {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(makePng())]), 'a.png');
  const res = await t.request('/api/comfy/ingest', { method: 'POST', body: form, token: t.adminToken });
  return (await res.json()) as { id: string };
}

describe('tRPC over HTTP', () => {
  it('serves auth.me and gallery.list with a Bearer token (batched)', async () => {
    await using t = await startTestApp();
    const item = await ingestPng(t);
    const client = httpClient(t, t.adminToken);
    const [me, list] = await Promise.all([client.auth.me.query(), client.gallery.list.query({ limit: 10 })]);
    expect(me).toMatchObject({ email: ADMIN.email, role: 'admin' });
    expect(list.items.map((i) => i.id)).toEqual([item.id]);
    expect(list.next_cursor).toBeNull();
    const detail = await client.gallery.byId.query({ id: item.id });
    expect(detail.sidecar.id).toBe(item.id);
    const presets = await client.presets.list.query();
    expect(presets.map((p) => p.id)).toEqual(['sample_basic_sdxl', 'sd15_fast_template']);
    expect(presets[0]).toMatchObject({ name: 'Basic SDXL', defaults: { steps: 25, sampler: 'dpmpp_2m' } });
  });

  it('logs in publicly and refuses everything else without a user', async () => {
    await using t = await startTestApp();
    const anon = httpClient(t);
    const out = await anon.auth.login.mutate({ email: ADMIN.email, password: ADMIN.password });
    expect(out.token).toMatch(/^cgs_/);
    await expect(httpClient(t, out.token).auth.me.query()).resolves.toMatchObject({ email: ADMIN.email });

    const err = await anon.auth.me.query().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCClientError);
    expect((err as TRPCClientError<AppRouter>).data).toMatchObject({ code: 'UNAUTHORIZED', httpStatus: 401 });

    const bad = await anon.auth.login
      .mutate({ email: ADMIN.email, password: 'wrong-password' })
      .catch((e: unknown) => e);
    expect((bad as TRPCClientError<AppRouter>).data).toMatchObject({ code: 'UNAUTHORIZED', httpStatus: 401 });
  });

  it('maps validation and domain errors through the shared table', async () => {
    await using t = await startTestApp();
    const client = httpClient(t, t.adminToken);
    const invalid = (await client.auth.users.create
      .mutate({ email: 'not-an-email', password: 'long-enough-1' })
      .catch((e: unknown) => e)) as TRPCClientError<AppRouter>;
    expect(invalid.data).toMatchObject({ code: 'VALIDATION_ERROR', httpStatus: 400 });
    expect(Object.keys(invalid.data?.fields ?? {})).toEqual(['email']);
    expect(invalid.message).toMatch(/^email: /);

    await client.auth.users.create.mutate({ email: 'z@example.com', password: 'long-enough-1' });
    const dup = (await client.auth.users.create
      .mutate({ email: 'z@example.com', password: 'long-enough-1' })
      .catch((e: unknown) => e)) as TRPCClientError<AppRouter>;
    expect(dup.data).toMatchObject({
      code: 'CONFLICT',
      httpStatus: 409,
      fields: { email: ['already registered'] },
    });

    const missing = (await client.gallery.byId
      .query({ id: '0123456789abcdef' })
      .catch((e: unknown) => e)) as TRPCClientError<AppRouter>;
    expect(missing.data).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404 });
  });

  it('enforces roles and deactivation', async () => {
    await using t = await startTestApp();
    const u = await t.createUser('user@example.com');
    const client = httpClient(t, u.token);
    const denied = (await client.auth.users.list
      .query()
      .catch((e: unknown) => e)) as TRPCClientError<AppRouter>;
    expect(denied.data).toMatchObject({ code: 'FORBIDDEN', httpStatus: 403 });
    await httpClient(t, t.adminToken).auth.users.setActive.mutate({ id: u.id, active: false });
    const gone = (await client.auth.me.query().catch((e: unknown) => e)) as TRPCClientError<AppRouter>;
    expect(gone.data).toMatchObject({ code: 'FORBIDDEN', httpStatus: 403 });
  });

  it('refuses cookie mutations from a foreign Origin', async () => {
    await using t = await startTestApp();
    const res = await fetch(`${t.url}/trpc/auth.tokens.create`, {
      method: 'POST',
      headers: {
        cookie: `cg_session=${t.adminToken}`,
        origin: 'https://evil.example',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ json: { name: 'x' } }),
    });
    expect(res.status).toBe(403);
  });

  it('runs procedures through a caller with a pure context', async () => {
    await using t = await startTestApp();
    const user = (await t.services.auth.listUsers())[0] ?? null;
    const caller = createCallerFactory(appRouter)(createContextInner({ services: t.services, user }));
    await expect(caller.auth.me()).resolves.toMatchObject({ email: ADMIN.email });
    await expect(caller.auth.tokens.create({ name: 'cli' })).resolves.toMatchObject({ name: 'cli' });
    const anon = createCallerFactory(appRouter)(createContextInner({ services: t.services, user: null }));
    await expect(anon.gallery.list({ limit: 5 })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });
});

describe('tRPC over WebSocket', () => {
  it('authenticates with connectionParams and serves queries', async () => {
    await using t = await startTestApp();
    const wsClient = createWSClient({
      url: `${t.url.replace('http', 'ws')}/trpc`,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      connectionParams: { token: t.adminToken },
    });
    try {
      const client = createTRPCClient<AppRouter>({
        links: [wsLink({ client: wsClient, transformer: superjson })],
      });
      await expect(client.auth.me.query()).resolves.toMatchObject({ email: ADMIN.email });
      await expect(client.gallery.list.query({ limit: 5 })).resolves.toEqual({
        items: [],
        next_cursor: null,
      });
    } finally {
      await wsClient.close();
    }
  });

  it('answers calls on a socket with a bad token UNAUTHORIZED, then closes it (4401)', async () => {
    await using t = await startTestApp();
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/trpc?connectionParams=1`);
    const messages: unknown[] = [];
    ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString('utf8'))));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ method: 'connectionParams', data: { token: 'cgs_forged' } }));
    ws.send(JSON.stringify({ id: 7, method: 'query', params: { path: 'auth.me', input: { json: null } } }));
    const code = await new Promise<number>((resolve) => ws.once('close', resolve));
    expect(code).toBe(4401);
    expect(messages[0]).toMatchObject({
      id: 7,
      error: { json: { code: -32001, data: { code: 'UNAUTHORIZED', httpStatus: 401 } } },
    });
  });

  it('refuses upgrades without credentials, on other paths, and cookie upgrades from a foreign Origin', async () => {
    await using t = await startTestApp();
    const base = t.url.replace('http', 'ws');
    const status = (url: string, headers: Record<string, string> = {}) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url, { headers });
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('open', () => {
          ws.close();
          resolve(101);
        });
        ws.once('error', () => undefined);
      });
    expect(await status(`${base}/trpc`)).toBe(401);
    expect(await status(`${base}/elsewhere`, { authorization: `Bearer ${t.adminToken}` })).toBe(404);
    expect(
      await status(`${base}/trpc`, { cookie: `cg_session=${t.adminToken}`, origin: 'https://evil.example' }),
    ).toBe(403);
    expect(await status(`${base}/trpc`, { cookie: `cg_session=${t.adminToken}`, origin: t.url })).toBe(101);
  });
});
