import type { GatewayProc } from './gateway-proc.ts';

export type DispatchRole = 'holder' | 'standby' | 'unknown';

/** `GET /readyz` once; its `dispatch` check (when the server has one) says who holds the lease. */
export async function dispatchRole(gw: GatewayProc): Promise<{ ready: boolean; role: DispatchRole }> {
  const res = await fetch(`${gw.url}/readyz`).catch(() => null);
  if (!res) return { ready: false, role: 'unknown' };
  const body = (await res.json().catch(() => ({}))) as { checks?: Record<string, { detail?: string }> };
  const detail = body.checks?.['dispatch']?.detail;
  const role: DispatchRole = detail === 'holder' || detail === 'standby' ? detail : 'unknown';
  return { ready: res.ok, role };
}

/** Until every instance is ready and, when they report it, one holds the dispatch lease. */
export async function waitForCluster(gws: GatewayProc[], timeoutMs = 30_000): Promise<DispatchRole[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await Promise.all(gws.map(dispatchRole));
    const roles = r.map((x) => x.role);
    const settled = roles.every((x) => x === 'unknown') || roles.filter((x) => x === 'holder').length === 1;
    if (r.every((x) => x.ready) && settled) return roles;
    if (Date.now() > deadline)
      throw new Error(`cluster not ready: ${JSON.stringify(r.map((x, i) => ({ gw: gws[i]?.name, ...x })))}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}
