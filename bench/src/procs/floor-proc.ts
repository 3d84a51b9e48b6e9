import { Child } from '../child.ts';
import type { FloorRoute } from './floor-child.ts';
import type { ProcStats } from './proc-stats.ts';

export type { FloorRoute };

/** The plain `http` floor server process (see floor-child.ts). */
export class FloorProc {
  readonly #child = new Child('./procs/floor-child.ts');
  url = '';

  static async start(routes: Record<string, FloorRoute>): Promise<FloorProc> {
    const p = new FloorProc();
    await p.#child.ready;
    p.url = (await p.#child.call<{ url: string }>('start', { routes })).url;
    return p;
  }
  stats(): Promise<ProcStats> {
    return this.#child.stats();
  }
  close(): Promise<void> {
    return this.#child.close();
  }
}

/** A GET's body and content type, to be answered by the floor server byte for byte. */
export async function captureRoute(url: string, headers: Record<string, string>): Promise<FloorRoute> {
  const res = await fetch(url, { headers });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return {
    contentType: res.headers.get('content-type') ?? 'application/json',
    body: Buffer.from(await res.arrayBuffer()).toString('base64'),
  };
}
