import { spawnGateway } from '../jobs/spawn-gateway.ts';

export interface ReadyzCheck {
  ok: boolean;
  detail?: string;
  state?: string;
}

export interface Readyz {
  status: number;
  checks: Record<string, ReadyzCheck>;
}

export type DispatchRole = 'holder' | 'standby';

/** One gateway of the cluster: a real `src/main.ts` process that a test may SIGKILL. */
export interface GatewayInstance {
  name: string;
  url: string;
  pid: number;
  /** False once killed or exited. */
  alive(): boolean;
  /** fetch against the instance with an optional Bearer token and JSON body. */
  request(p: string, init?: RequestInit & { token?: string; json?: unknown }): Promise<Response>;
  readyz(): Promise<Readyz>;
  /** `checks.dispatch.detail` of `/readyz` (the lease), null when the instance has no such check. */
  dispatchRole(): Promise<DispatchRole | null>;
  /** The last lines the process wrote, for failure messages. */
  tail(lines?: number): string;
  /** Like a crash: SIGKILL, no shutdown handler runs, no lease is released. */
  kill(): Promise<void>;
}

// Every child is killed if the test process goes away without its teardown (a crashed worker).
const children = new Set<{ kill(signal: NodeJS.Signals): boolean }>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Starts one instance as a child process with `env` (plus what `spawnGateway` sets: port 0, NODE_ENV). */
export async function startInstance(name: string, env: Record<string, string>): Promise<GatewayInstance> {
  const gw = await spawnGateway(env);
  children.add(gw.child);
  gw.child.once('exit', () => children.delete(gw.child));
  const alive = () => gw.child.exitCode === null && gw.child.signalCode === null;
  const request: GatewayInstance['request'] = (p, init = {}) => {
    const { token, json, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    if (json !== undefined) headers.set('content-type', 'application/json');
    const body = json === undefined ? rest.body : JSON.stringify(json);
    return fetch(gw.url + p, { ...rest, headers, ...(body !== undefined ? { body } : {}) });
  };
  const readyz = async (): Promise<Readyz> => {
    const res = await request('/readyz');
    const body = (await res.json()) as { checks: Record<string, ReadyzCheck> };
    return { status: res.status, checks: body.checks };
  };
  return {
    name,
    url: gw.url,
    pid: gw.child.pid ?? -1,
    alive,
    request,
    readyz,
    async dispatchRole() {
      const detail = (await readyz()).checks['dispatch']?.detail;
      return detail === 'holder' || detail === 'standby' ? detail : null;
    },
    tail(lines = 40) {
      return gw.output().split('\n').slice(-lines).join('\n');
    },
    kill: () => gw.kill(),
  };
}
