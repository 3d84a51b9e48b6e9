import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startComfySim } from '@comfy-gateway/comfy-sim';
import type { ImageRef, JobSnapshot } from '@comfy-gateway/schema';
import { isFinalJobStatus } from '@comfy-gateway/schema';
import { describe, expect, it } from 'vitest';
import { readSse, samplerWorkflow } from '../comfy-fixture.ts';
import type { SseMessage } from '../comfy-fixture.ts';
import { spawnGateway } from './spawn-gateway.ts';
import type { GatewayProcess } from './spawn-gateway.ts';

const ADMIN = { email: 'restart@example.com', password: 'restart-password-1' };
const JOBS = 20;

interface SimEntry {
  status: { status_str: string };
  outputs: Record<string, { images?: ImageRef[] }>;
}

/** The simulator's own record of a prompt (its /history), or null. */
async function simHistory(simUrl: string, id: string): Promise<SimEntry | null> {
  const body = (await (await fetch(`${simUrl}/history/${id}`)).json()) as Record<string, SimEntry>;
  return body[id] ?? null;
}

/**
 * Reads an SSE response to its end or to where its connection was cut (the kill); `cut` says
 * which, so a stream open across the kill is expected to lose its connection, not to throw.
 */
async function readAcrossCut(res: Response): Promise<{ events: SseMessage[]; cut: boolean }> {
  let cut = false;
  const reader = (res.body as ReadableStream<Uint8Array> | null)?.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) controller.close();
        else controller.enqueue(chunk.value);
      } catch {
        cut = true;
        controller.close();
      }
    },
  });
  const events = await readSse(new Response(body));
  return { events, cut };
}

/** The highest event id a stream carried. */
const maxId = (events: { id: string | null }[]) => Math.max(0, ...events.map((e) => Number(e.id ?? 0)));

describe('restart: the gateway killed with SIGKILL in the middle of 20 jobs', () => {
  it('follows every job to its true final state with its images; streams after the restart end with done', async () => {
    await using sim = await startComfySim({ stepMs: 25 });
    const rootDir = await mkdtemp(path.join(tmpdir(), 'cg-restart-'));
    const env = {
      ROOT_DIR: rootDir,
      COMFY_ENABLED: 'true',
      COMFY_API_URL: sim.url,
      COMFY_RECONNECT_BASE_DELAY_S: '0.05',
      COMFY_RECONNECT_MAX_DELAY_S: '0.2',
      COMFY_HEALTH_INTERVAL_S: '0.5',
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      LOGIN_RATE_LIMIT_PER_MIN: '1000',
      LOG_LEVEL: 'info',
    };
    const gateways: GatewayProcess[] = [];
    try {
      const first = await spawnGateway(env);
      gateways.push(first);
      const login = await fetch(`${first.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(ADMIN),
      });
      const { token } = (await login.json()) as { token: string };
      const auth = { authorization: `Bearer ${token}` };
      const ids: string[] = [];
      for (let i = 0; i < JOBS; i++) {
        const res = await fetch(`${first.url}/api/comfy/queue`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ workflow: samplerWorkflow(100 + i, 8) }),
        });
        expect(res.status).toBe(200);
        ids.push(((await res.json()) as { prompt_id: string }).prompt_id);
      }
      // Streams open across the kill: they record the ids handed out before it. Every one has its
      // answer (headers) before the kill, so only the connection, never the request, is lost.
      const opened = await Promise.all(
        ids.map((id) => fetch(`${first.url}/api/comfy/stream/${id}`, { headers: auth })),
      );
      expect(opened.map((r) => r.status)).toEqual(ids.map(() => 200));
      const before = opened.map(readAcrossCut);
      const done = async () =>
        (await Promise.all(ids.map((id) => simHistory(sim.url, id)))).filter(Boolean).length;
      await expect.poll(done, { timeout: 30_000, interval: 50 }).toBeGreaterThanOrEqual(5);
      await first.kill();
      const cutBefore = await Promise.all(before);
      // Each pre-kill stream either saw its job end (done) or lost its connection to the kill.
      for (const [i, s] of cutBefore.entries())
        expect(s.cut || s.events.at(-1)?.event === 'done', ids[i]).toBe(true);
      expect(cutBefore.some((s) => s.cut)).toBe(true);
      const seenBefore = cutBefore.map((s) => s.events);
      expect(await done()).toBeLessThan(JOBS);

      const second = await spawnGateway(env);
      gateways.push(second);
      const status = async (id: string) =>
        (await (
          await fetch(`${second.url}/api/comfy/status/${id}`, { headers: auth })
        ).json()) as JobSnapshot;
      const after = ids.map((id) =>
        fetch(`${second.url}/api/comfy/stream/${id}`, { headers: auth }).then(
          async (r) => (await readAcrossCut(r)).events,
        ),
      );
      // Marked handled here; awaited (with a deadline) below.
      for (const p of after) p.catch(() => undefined);
      for (const id of ids) {
        await expect
          .poll(async () => isFinalJobStatus((await status(id)).status), { timeout: 60_000, interval: 100 })
          .toBe(true);
      }
      for (const id of ids) {
        const truth = await simHistory(sim.url, id);
        expect(truth?.status.status_str, id).toBe('success');
        const snap = await status(id);
        expect(snap.status, id).toBe('completed');
        const images = Object.values(truth?.outputs ?? {}).flatMap((o) => o.images ?? []);
        expect(snap.images, id).toEqual(
          images.map((im) => ({ filename: im.filename, subfolder: im.subfolder, type: im.type })),
        );
      }
      const streams = await Promise.all(
        after.map((p, i) =>
          Promise.race([
            p,
            new Promise<never>((_, reject) =>
              setTimeout(() => reject(new Error(`stream of job ${i} did not end`)), 20_000).unref(),
            ),
          ]),
        ),
      );
      for (const [i, id] of ids.entries()) {
        const events = streams[i] ?? [];
        expect(events.at(-1)?.event, id).toBe('done');
        // Ids never go backwards: what follows the restart is numbered above what came before.
        const firstAfter = Math.min(...events.map((e) => Number(e.id ?? Infinity)));
        expect(firstAfter, id).toBeGreaterThan(maxId(seenBefore[i] ?? []));
      }
    } finally {
      for (const g of gateways) await g.kill();
      await rm(rootDir, { recursive: true, force: true });
    }
  }, 180_000);
});
