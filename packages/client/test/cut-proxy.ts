import { connect, createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

export interface CutProxy extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`, forwarding every byte to the target. */
  url: string;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Drops every open connection at once, as a network failure would. */
  cut(): void;
}

/** A TCP proxy in front of `target` whose connections a test can cut (SSE and WebSocket alike). */
export async function startCutProxy(target: string): Promise<CutProxy> {
  const { hostname, port } = new URL(target);
  const open = new Set<Socket>();
  let accepted = 0;
  const server = createServer((client) => {
    accepted += 1;
    const upstream = connect(Number(port), hostname);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cut = () => {
    for (const s of open) s.resetAndDestroy();
  };
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get accepted() {
      return accepted;
    },
    cut,
    async [Symbol.asyncDispose]() {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
