import { describe, expect, it } from 'vitest';
import { sseHead, startSseServer } from '../test/sse-server.ts';
import { FetchEventSource } from './event-source.ts';

function collect(es: FetchEventSource, types: string[]) {
  const log: string[] = [];
  for (const type of types) {
    es.addEventListener(type, (ev) => {
      const msg = ev as MessageEvent & { message?: string };
      log.push(
        type === 'error'
          ? `error(${es.readyState}):${msg.message ?? ''}`
          : type === 'open'
            ? 'open'
            : `${type}:${msg.lastEventId}:${msg.data}`,
      );
    });
  }
  return log;
}

describe('FetchEventSource', () => {
  it('sends headers, dispatches named events with ids and reconnects with Last-Event-ID after a drop', async () => {
    await using server = await startSseServer((_req, res, attempt) => {
      sseHead(res);
      if (attempt === 0) {
        res.write('retry: 10\n\nevent: tick\nid: 1\ndata: a\n\n: ping\n\ndata: b\n\n');
        setTimeout(() => res.destroy(), 20);
      } else res.write('event: tick\nid: 2\ndata: c\n\n');
    });
    const es = new FetchEventSource(`${server.url}/sub?x=1`, {
      headers: () => Promise.resolve({ authorization: 'Bearer tok' }),
    });
    const log = collect(es, ['open', 'tick', 'message']);
    await expect.poll(() => log.length).toBe(5);
    es.close();
    expect(log).toEqual(['open', 'tick:1:a', 'message:1:b', 'open', 'tick:2:c']);
    expect(
      server.requests.map((r) => [r.headers.authorization, r.headers['last-event-id'], r.headers.accept]),
    ).toEqual([
      ['Bearer tok', undefined, 'text/event-stream'],
      ['Bearer tok', '1', 'text/event-stream'],
    ]);
    expect(es.readyState).toBe(FetchEventSource.CLOSED);
  });

  it('fails for good on an error answer, with the gateway message on the error event', async () => {
    await using server = await startSseServer((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"error":{"code":"UNAUTHORIZED","message":"invalid or expired token"}}');
    });
    const es = new FetchEventSource(server.url);
    const log = collect(es, ['open', 'error']);
    await expect.poll(() => log).toEqual(['error(2):invalid or expired token']);
    expect(es.readyState).toBe(es.CLOSED);
    expect(server.requests).toHaveLength(1);
  });

  it('fails for good when the answer is not an event stream', async () => {
    await using server = await startSseServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html></html>');
    });
    const es = new FetchEventSource(server.url);
    const log = collect(es, ['error']);
    await expect.poll(() => log).toEqual(['error(2):not an event stream (200 text/html)']);
  });

  it('stops reading and reconnecting once closed', async () => {
    let closed = 0;
    await using server = await startSseServer((_req, res) => {
      sseHead(res);
      res.write('data: first\n\n');
      res.on('close', () => closed++);
    });
    const es = new FetchEventSource(server.url, { reconnectMs: 5 });
    const log = collect(es, ['message']);
    await expect.poll(() => log).toEqual(['message::first']);
    es.close();
    await expect.poll(() => closed).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(server.requests).toHaveLength(1);
  });
});
