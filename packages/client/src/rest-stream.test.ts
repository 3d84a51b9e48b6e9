import type { JobSnapshot } from '@comfy-gateway/schema';
import { describe, expect, it } from 'vitest';
import { frame, sseHead, startSseServer } from '../test/sse-server.ts';
import { GatewayClientError } from './errors.ts';
import { createHttp } from './http.ts';
import { followUntilDone, streamPrompt } from './rest-stream.ts';

const snap = (status: JobSnapshot['status'], percent: number): JobSnapshot => ({
  prompt_id: 'p1',
  status,
  progress: { value: percent, max: 100, node: null, percent },
});

/** Event `n` of a six-event run: five status events, then `done`. */
const eventAt = (n: number) =>
  n < 6
    ? frame('status', n, { type: 'status', snapshot: snap('running', n * 10) })
    : frame('done', n, { type: 'done', snapshot: snap('completed', 100) });

const fast = { retryDelayMs: 5, maxRetryDelayMs: 20 };

describe('streamPrompt', () => {
  it('reconnects with Last-Event-ID after a dropped connection: no gaps, no repeats, ends after done', async () => {
    await using server = await startSseServer((req, res, attempt) => {
      sseHead(res);
      const from = Number(req.headers['last-event-id'] ?? 0) + 1;
      if (attempt === 0) {
        res.write(': connected\n\n' + eventAt(1) + eventAt(2) + eventAt(3));
        // Cut mid-frame, as a dying proxy would.
        res.write('event: status\nid: 4\nda', () => res.destroy());
        return;
      }
      for (let n = from; n <= 6; n++) res.write(eventAt(n));
      res.end();
    });
    const http = createHttp({ url: server.url, token: 'cgt_test' });
    const ids: string[] = [];
    const reconnects: number[] = [];
    const onReconnect = ({ attempt }: { attempt: number }) => reconnects.push(attempt);
    for await (const item of streamPrompt(http, 'p1', { ...fast, onReconnect })) ids.push(item.id);
    expect(ids).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(reconnects).toEqual([1]);
    expect(server.requests.map((r) => r.headers['last-event-id'])).toEqual([undefined, '3']);
    expect(server.requests[0]).toMatchObject({
      path: '/api/comfy/stream/p1',
      headers: { authorization: 'Bearer cgt_test' },
    });
  });

  it('resumes from a given lastEventId and returns the final snapshot', async () => {
    await using server = await startSseServer((req, res) => {
      sseHead(res);
      for (let n = Number(req.headers['last-event-id'] ?? 0) + 1; n <= 6; n++) res.write(eventAt(n));
      res.end();
    });
    const http = createHttp({ url: server.url, token: 't' });
    const seen: string[] = [];
    const final = await followUntilDone(http, 'p1', {
      lastEventId: '4',
      onEvent: (i) => seen.push(`${i.id}:${i.event.type}`),
    });
    expect(seen).toEqual(['5:status', '6:done']);
    expect(final.status).toBe('completed');
  });

  it('gives up after maxRetries consecutive failures with the last error', async () => {
    await using server = await startSseServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end('{"error":{"code":"COMFY_UNAVAILABLE","message":"ComfyUI is down"}}');
    });
    const http = createHttp({ url: server.url, token: 't' });
    const err = await followUntilDone(http, 'p1', { ...fast, maxRetries: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayClientError);
    expect(err).toMatchObject({ status: 503, code: 'COMFY_UNAVAILABLE' });
    expect(server.requests).toHaveLength(3);
  });

  it('does not retry an answer that will not change (404)', async () => {
    await using server = await startSseServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":{"code":"NOT_FOUND","message":"unknown prompt"}}');
    });
    const err = await followUntilDone(createHttp({ url: server.url, token: 't' }), 'nope', fast).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ status: 404, code: 'NOT_FOUND', message: 'unknown prompt' });
    expect(server.requests).toHaveLength(1);
  });

  it('treats a silent connection as dropped and reconnects', async () => {
    await using server = await startSseServer((_req, res, attempt) => {
      sseHead(res);
      if (attempt === 0) res.write(eventAt(1));
      else res.end(eventAt(6));
    });
    const items = [];
    for await (const item of streamPrompt(createHttp({ url: server.url, token: 't' }), 'p1', {
      ...fast,
      idleTimeoutMs: 100,
    })) {
      items.push(item.id);
    }
    expect(items).toEqual(['1', '6']);
    expect(server.requests[1]?.headers['last-event-id']).toBe('1');
  });

  it('does not count time spent by a slow consumer as server silence', async () => {
    await using server = await startSseServer((_req, res) => {
      sseHead(res);
      res.write(eventAt(1));
      setTimeout(() => res.end(eventAt(6)), 10);
    });
    const items = [];
    for await (const item of streamPrompt(createHttp({ url: server.url, token: 't' }), 'p1', {
      ...fast,
      // Wide margins: a loaded machine may stall the 10 ms server gap well past it.
      idleTimeoutMs: 300,
    })) {
      items.push(item.id);
      await new Promise((r) => setTimeout(r, 600));
    }
    expect(items).toEqual(['1', '6']);
    expect(server.requests).toHaveLength(1);
  });

  it('rejects with the abort reason when the signal aborts, and closes the connection', async () => {
    let closed = false;
    await using server = await startSseServer((_req, res) => {
      sseHead(res);
      res.write(eventAt(1) + eventAt(2));
      res.on('close', () => (closed = true));
    });
    const ac = new AbortController();
    const seen: string[] = [];
    const run = (async () => {
      for await (const item of streamPrompt(createHttp({ url: server.url, token: 't' }), 'p1', {
        signal: ac.signal,
      })) {
        seen.push(item.id);
        ac.abort(new Error('user left'));
      }
    })();
    await expect(run).rejects.toThrow('user left');
    expect(seen).toEqual(['1']);
    await expect.poll(() => closed).toBe(true);
  });
});
