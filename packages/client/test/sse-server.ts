import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SseTestServer extends AsyncDisposable {
  url: string;
  /** Every request seen, in order: its path and the headers the client sent. */
  requests: { path: string; headers: IncomingMessage['headers'] }[];
}

/** A throwaway HTTP server for SSE client tests; `handle` gets the request number (0-based). */
export async function startSseServer(
  handle: (req: IncomingMessage, res: ServerResponse, attempt: number) => void,
): Promise<SseTestServer> {
  const requests: SseTestServer['requests'] = [];
  const server = createServer((req, res) => {
    requests.push({ path: req.url ?? '', headers: req.headers });
    handle(req, res, requests.length - 1);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Starts an SSE response. */
export function sseHead(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
}

/** One SSE frame. */
export function frame(event: string, id: string | number, data: unknown): string {
  return `event: ${event}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`;
}
