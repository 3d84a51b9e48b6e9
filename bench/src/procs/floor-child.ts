/**
 * The floor: a plain Node `http` server answering fixed bytes per path, in its own process. What
 * the gateway's req/s is compared with: the most this machine does for the same response.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveIpc } from './ipc.ts';
import { procStats } from './proc-stats.ts';

export interface FloorRoute {
  contentType: string;
  /** The body, base64. */
  body: string;
}

let routes = new Map<string, { type: string; body: Buffer }>();
let server: http.Server | null = null;

serveIpc({
  start: async (req: { routes: Record<string, FloorRoute> }) => {
    routes = new Map(
      Object.entries(req.routes).map(([p, r]) => [
        p,
        { type: r.contentType, body: Buffer.from(r.body, 'base64') },
      ]),
    );
    server = http.createServer((q, res) => {
      const r = routes.get(q.url ?? '');
      if (!r) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': r.type, 'content-length': r.body.length });
      res.end(r.body);
    });
    const s = server;
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
  },
  stats: (req: { gc?: boolean }) => procStats(req),
});
process.send?.({ ready: true });
