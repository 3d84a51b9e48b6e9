import { describe, expect, it } from 'vitest';
import { startComfyApp } from '../comfy-fixture.ts';
import { expectClientError, expectStillServing } from './bad-input-kit.ts';

/** Every JSON route with a body: a wrongly typed body and the field its error must name. */
const JSON_ROUTES: { method: string; path: string; wrong: unknown; names: RegExp }[] = [
  { method: 'POST', path: '/api/auth/login', wrong: { email: 42, password: 'x' }, names: /email/ },
  { method: 'POST', path: '/api/auth/tokens', wrong: { name: ['a'] }, names: /name/ },
  {
    method: 'POST',
    path: '/api/auth/users',
    wrong: { email: 'u@example.com', password: 'long-enough-1', role: 'root' },
    names: /role/,
  },
  { method: 'PATCH', path: '/api/auth/users/1', wrong: { active: 'yes' }, names: /active/ },
  { method: 'POST', path: '/api/comfy/queue', wrong: { workflow: 'not a graph' }, names: /workflow/ },
  { method: 'POST', path: '/api/comfy/text2img', wrong: { caption: 'a cat', steps: 'many' }, names: /steps/ },
  {
    method: 'POST',
    path: '/api/comfy/ingest',
    wrong: { prompt_id: 1, filename: 'a.png' },
    names: /prompt_id/,
  },
];

/** Fields each route requires; an empty object must name the first one. */
const MISSING: Record<string, RegExp> = {
  '/api/auth/login': /email/,
  '/api/auth/tokens': /name/,
  '/api/auth/users': /email/,
  '/api/comfy/queue': /workflow/,
  '/api/comfy/text2img': /caption/,
  '/api/comfy/ingest': /prompt_id/,
};

const TEN_MB_PLUS = 10 * 1024 * 1024 + 1024;

describe('malformed, wrongly typed, oversized and incomplete bodies', () => {
  it('answers every JSON route with a 4xx naming the problem', async () => {
    await using app = await startComfyApp();
    const send = (method: string, path: string, body: string, type = 'application/json') =>
      app.request(path, { token: app.adminToken, method, body, headers: { 'content-type': type } });

    for (const r of JSON_ROUTES) {
      await expectClientError(await send(r.method, r.path, '{"broken": '), /^body: malformed JSON/, 400);
      await expectClientError(await send(r.method, r.path, '{"a":1}}'), /^body: malformed JSON/, 400);
      await expectClientError(await send(r.method, r.path, JSON.stringify(r.wrong)), r.names, 400);
      // A JSON value that is not an object at all.
      for (const body of ['[]', '"text"', '42', 'null']) {
        await expectClientError(await send(r.method, r.path, body), /input|body|expected object|:/, 400);
      }
      const missing = MISSING[r.path];
      if (missing) await expectClientError(await send(r.method, r.path, '{}'), missing, 400);
      const huge = `{"x":"${'a'.repeat(TEN_MB_PLUS)}"}`;
      await expectClientError(await send(r.method, r.path, huge), /^body: .*too large/, 413);
    }
    await expectStillServing(app);
  });

  it('rejects bad ids, query values and content types with a 4xx naming them', async () => {
    await using app = await startComfyApp();
    const t = app.adminToken;
    await expectClientError(
      await app.request('/api/auth/users/abc', { token: t, method: 'PATCH', json: { active: true } }),
      /id/,
      400,
    );
    await expectClientError(
      await app.request('/api/auth/users/-1', { token: t, method: 'PATCH', json: { active: true } }),
      /id/,
      400,
    );
    await expectClientError(
      await app.request('/api/auth/tokens/1.5', { token: t, method: 'DELETE' }),
      /id/,
      400,
    );
    await expectClientError(await app.request('/api/gallery?limit=abc', { token: t }), /limit/, 400);
    await expectClientError(await app.request('/api/gallery?limit=100000', { token: t }), /limit/, 400);
    await expectClientError(await app.request('/api/gallery/..%2f..%2fetc', { token: t }), /id/, 400);
    await expectClientError(await app.request('/api/gallery/ZZZZ/file', { token: t }), /id/, 400);
    await expectClientError(
      await app.request('/api/gallery/0123456789abcdeX', { token: t, method: 'DELETE' }),
      /id/,
      400,
    );
    await expectClientError(
      await app.request(`/api/comfy/status/${'x'.repeat(200)}`, { token: t }),
      /prompt/,
      404,
    );
    await expectClientError(await app.request('/api/comfy/status/a%20b', { token: t }), /prompt/, 404);
    await expectClientError(
      await app.request('/api/comfy/cancel/%00', { token: t, method: 'POST' }),
      /prompt/,
      404,
    );
    await expectClientError(await app.request('/api/comfy/view', { token: t }), /^filename: /, 400);
    await expectClientError(
      await app.request(`/api/comfy/view?filename=${'a'.repeat(300)}.png`, { token: t }),
      /^filename: /,
      400,
    );
    await expectClientError(
      await app.request('/api/comfy/view?filename=a.png&type=secret', { token: t }),
      /^type: /,
      400,
    );
    await expectClientError(
      await app.request('/api/comfy/ingest', {
        token: t,
        method: 'POST',
        body: 'x=1',
        headers: { 'content-type': 'text/plain' },
      }),
      /^body: send multipart/,
      415,
    );
    await expectClientError(
      await app.request('/api/comfy/ingest', {
        token: t,
        method: 'POST',
        body: '--x\r\n',
        headers: { 'content-type': 'multipart/form-data; boundary=x' },
      }),
      /file|multipart|body/,
    );
    await expectStillServing(app);
  });

  it('answers malformed tRPC calls with a 4xx naming the problem', async () => {
    await using app = await startComfyApp();
    const t = app.adminToken;
    const post = (proc: string, body: string) =>
      app.request(`/trpc/${proc}`, {
        token: t,
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
      });
    const trpcError = async (res: Response, names: RegExp) => {
      const text = await res.text();
      expect(res.status, text).toBeGreaterThanOrEqual(400);
      expect(res.status, text).toBeLessThan(500);
      expect(text).toMatch(names);
    };
    await trpcError(await post('comfy.queue', '{"json": '), /parse|JSON/i);
    await trpcError(await post('comfy.queue', JSON.stringify({ json: { workflow: 7 } })), /workflow/);
    await trpcError(await post('comfy.text2img', JSON.stringify({ json: { caption: '' } })), /caption/);
    await trpcError(
      await post('comfy.text2img', JSON.stringify({ json: { caption: 'x', width: 1e9 } })),
      /width/,
    );
    await trpcError(await post('auth.users.create', JSON.stringify({ json: { email: 'nope' } })), /email/);
    await trpcError(await post('gallery.remove', JSON.stringify({ json: { id: '../x' } })), /id/);
    await trpcError(
      await post('comfy.ingestFromComfy', JSON.stringify({ json: { prompt_id: 'p', filename: '../x.png' } })),
      /filename/,
    );
    await trpcError(
      await app.request(`/trpc/comfy.status?input=${encodeURIComponent('{"json":{"prompt_id":5}}')}`, {
        token: t,
      }),
      /prompt_id/,
    );
    await trpcError(
      await app.request('/trpc/comfy.status?input=%7Bbroken', { token: t }),
      /parse|JSON|input/i,
    );
    await trpcError(await post('comfy.nope', '{}'), /No procedure|not found/i);
    // Regression: tRPC had no body limit and buffered any size; now 413 like the REST parser.
    const huge = await post(
      'comfy.queue',
      JSON.stringify({ json: { workflow: { x: 'a'.repeat(TEN_MB_PLUS) } } }),
    );
    expect(huge.status).toBe(413);
    expect(await huge.text()).toMatch(/PAYLOAD_TOO_LARGE/);
    await expectStillServing(app);
  });
});
