import { readdir, readlink } from 'node:fs/promises';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import type { TRPCClient } from '@trpc/client';
import superjson from 'superjson';
import WebSocket from 'ws';
import type { AppRouter } from '@comfy-gateway/api';
import type { TestApp } from '../fixture.ts';
import { makePng } from '../images.ts';
import { trpcHttp } from './security-kit.ts';

export { trpcHttp };

export type Trpc = TRPCClient<AppRouter>;

/** A tRPC client over one WebSocket authenticated by connection params; `await using` closes it. */
export function trpcWs(t: Pick<TestApp, 'url'>, token: string): { client: Trpc } & AsyncDisposable {
  const ws = createWSClient({
    url: `${t.url.replace('http', 'ws')}/trpc`,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    connectionParams: { token },
  });
  const client = createTRPCClient<AppRouter>({ links: [wsLink({ client: ws, transformer: superjson })] });
  // The client is a proxy, so disposal lives on a wrapper.
  return { client, [Symbol.asyncDispose]: () => ws.close() };
}

/** The rejection of a promise (a tRPC call expected to fail), for matching `data.code` and `message`. */
export async function failureOf(
  p: Promise<unknown>,
): Promise<{ message: string; data: Record<string, unknown> }> {
  const err = await p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e as { message: string; data: Record<string, unknown> },
  );
  return err;
}

export interface Ingested {
  id: string;
  hash: string;
  path: string;
  sidecar_path: string;
  deduplicated: boolean;
}

/** Uploads an image to the gallery as `token`'s user; returns the status and the item. */
export async function ingestAs(
  t: TestApp,
  token: string,
  bytes: Buffer = makePng(),
  fields: Record<string, string> = {},
): Promise<{ status: number; item: Ingested }> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob([new Uint8Array(bytes)]), 'upload.png');
  const res = await t.request('/api/comfy/ingest', { method: 'POST', body: form, token });
  return { status: res.status, item: (await res.json()) as Ingested };
}

/** The open file descriptors of this process (the server runs in it) on files below `dirs`. */
export async function openFilesUnder(dirs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => null);
    if (target && dirs.some((d) => target.startsWith(`${d}/`))) out.push(target);
  }
  return out.sort();
}

/** Polls `read` until it returns `expected` (compared as JSON) or the deadline passes; returns the last value. */
export async function settlesTo<T>(read: () => Promise<T>, expected: T, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let value = await read();
  while (JSON.stringify(value) !== JSON.stringify(expected) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 25));
    value = await read();
  }
  return value;
}
