import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runWithRequestContext } from '../http/request-context.ts';
import { createUpstreamFetch } from './upstream-fetch.ts';

function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('createUpstreamFetch', () => {
  it('adds the current request id to upstream calls and logs them as JSON with it', async () => {
    const spy = vi.spyOn(globalThis, 'fetch').mockResolvedValue(new Response('{}', { status: 200 }));
    const { log, lines } = captureLogger();
    const upstream = createUpstreamFetch(log);
    await runWithRequestContext({ requestId: 'req-1' }, () =>
      upstream('http://comfy.test/prompt', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
      }),
    );
    const headers = new Headers(spy.mock.calls[0]?.[1]?.headers);
    expect(headers.get('x-request-id')).toBe('req-1');
    expect(headers.get('content-type')).toBe('application/json');
    await vi.waitFor(() => expect(lines).toHaveLength(1));
    expect(lines[0]).toMatchObject({
      reqId: 'req-1',
      method: 'POST',
      url: 'http://comfy.test/prompt',
      status: 200,
      msg: 'upstream call',
    });
  });

  it('sends no id outside a request and logs failures before rethrowing', async () => {
    const spy = vi.spyOn(globalThis, 'fetch').mockRejectedValue(new TypeError('fetch failed'));
    const { log, lines } = captureLogger();
    await expect(createUpstreamFetch(log)('http://comfy.test/queue')).rejects.toThrow('fetch failed');
    expect(new Headers(spy.mock.calls[0]?.[1]?.headers).has('x-request-id')).toBe(false);
    await vi.waitFor(() => expect(lines).toHaveLength(1));
    expect(lines[0]).toMatchObject({ method: 'GET', msg: 'upstream call failed' });
  });
});
