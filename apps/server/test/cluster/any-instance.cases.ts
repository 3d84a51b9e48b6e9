import { randomUUID } from 'node:crypto';
import type { JobSnapshot } from '@comfy-gateway/schema';
import { beforeAll, describe, expect, it } from 'vitest';
import { until } from './cluster-fixture.ts';
import { cancel, jobRecord, openSse, status, streamAll, submit } from './cluster-calls.ts';
import type { GatewayInstance } from './gateway-instance.ts';
import { connectTrpcWs, firstOfOnStatus, trpcCode } from './trpc-ws.ts';
import type { ClusterUser, MultiCluster } from './multi-process.ts';

// One job per server at a time, so a third job waits in the gateway queue; ~3 s of sampling each.
const LONG = { steps: 150 };
let c: MultiCluster;
let bob: ClusterUser;

const FINAL = ['completed', 'failed', 'cancelled', 'interrupted'];

/**
 * Waits until every instance says the job ended with the same status, then expects the whole
 * snapshots to be equal (softly, so the rest of the test still reports); returns A's.
 */
async function finalEverywhere(id: string, token: string): Promise<JobSnapshot> {
  let answers: (JobSnapshot | null)[] = [];
  await until(
    async () => {
      answers = await Promise.all(c.instances.map(async (i) => (await status(i, id, token)).snapshot));
      const statuses = new Set(answers.map((a) => a?.status));
      return statuses.size === 1 && FINAL.includes(String(answers[0]?.status));
    },
    `the same final status of ${id} on A, B and C`,
    15_000,
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}; last answers: ${JSON.stringify(answers)}`);
  });
  const [onA, onB, onC] = answers;
  expect.soft({ onB, onC }, `status of ${id}: the same answer on every instance`).toEqual({
    onB: onA,
    onC: onA,
  });
  return onA as JobSnapshot;
}

/** Waits until bob's record of `id` says `completed` on every instance. */
async function completedEverywhere(id: string): Promise<void> {
  await until(
    async () =>
      (await Promise.all(c.instances.map((i) => jobRecord(i, id, bob.token)))).every(
        (r) => r.status === 'completed',
      ),
    `${id} completed on A, B and C`,
    15_000,
  );
}

/** Any instance answers for any job. Needs `maxInFlight: 1` and sampler steps of ~20 ms. */
export function anyInstanceCases(cluster: () => MultiCluster): void {
  describe('any instance answers for any job', () => {
    beforeAll(async () => {
      c = cluster();
      bob = await c.createUser('bob@example.com');
      await c.setJobCap(bob, 20);
    });

    it('submit on A, stream on B, cancel on C: the stream ends with done, every instance says so', async () => {
      const { a, b, c: cc } = c;
      // Bob's session (made on A) on A, an API token made on B for B and C.
      const apiToken = await c.createToken(b, bob.token);
      const running = await submit(a, bob.token, LONG);
      const other = await submit(a, bob.token, LONG);
      const waiting = await submit(a, bob.token, LONG);

      const events: string[] = [];
      const onB = streamAll(b, running, apiToken, { onMessage: (m) => events.push(m.event) });
      await until(
        async () => (await status(b, running, apiToken)).snapshot?.status === 'running',
        'the first job running (seen on B)',
      );
      await until(() => events.length > 0, 'the first event on B');

      // Cancelling from the third instance: a waiting job is cancelled (first, before the running
      // one's end frees a server for it), a running one interrupted.
      const dequeued = await cancel(cc, waiting, apiToken);
      expect(dequeued.status).toBe(200);
      expect(await dequeued.json()).toEqual({ prompt_id: waiting, cancelled: true });
      const cancelled = await cancel(cc, running, apiToken);
      expect(cancelled.status).toBe(200);
      expect(await cancelled.json()).toEqual({ prompt_id: running, cancelled: true });

      const streamed = await onB;
      expect(streamed.at(-1)?.event).toBe('done');
      expect(streamed.at(-1)?.data).toMatchObject({ snapshot: { status: 'interrupted' } });
      const ids = streamed.map((m) => Number(m.id));
      expect(ids.every((id, k) => k === 0 || id > (ids[k - 1] as number))).toBe(true);

      expect((await finalEverywhere(running, bob.token)).status).toBe('interrupted');
      expect((await finalEverywhere(waiting, apiToken)).status).toBe('cancelled');
      expect((await finalEverywhere(other, bob.token)).status).toBe('completed');
      for (const i of c.instances) {
        expect(await jobRecord(i, running, bob.token), i.name).toEqual({ code: 200, status: 'interrupted' });
        expect(await jobRecord(i, waiting, bob.token), i.name).toEqual({ code: 200, status: 'cancelled' });
      }
      // The cancelled job never reached a ComfyUI server.
      expect(c.sims.flatMap((s) => s.stats.started)).not.toContain(waiting);
      // A stream opened after the end replays to `done` on every instance.
      for (const i of c.instances) {
        const replay = await streamAll(i, running, bob.token);
        expect(replay.at(-1)?.event, i.name).toBe('done');
      }
    }, 60_000);

    it('gives another user the 404 of an unknown id for all of it, on every instance (REST)', async () => {
      const eve = await c.createUser('eve@example.com', c.b, c.c);
      const id = await submit(c.a, bob.token, { steps: 4 });
      const unknown = randomUUID();
      const answers = async (i: GatewayInstance, promptId: string) => {
        const calls = [
          i.request(`/api/comfy/status/${promptId}`, { token: eve.token }),
          i.request(`/api/comfy/jobs/${promptId}`, { token: eve.token }),
          i.request(`/api/comfy/history/${promptId}`, { token: eve.token }),
          openSse(i, promptId, eve.token),
          cancel(i, promptId, eve.token),
        ];
        return Promise.all(
          (await Promise.all(calls)).map(async (r) => ({
            status: r.status,
            code: r.status === 404 ? ((await r.json()) as { error: { code: string } }).error.code : null,
          })),
        );
      };
      const expected = Array.from({ length: 5 }, () => ({ status: 404, code: 'NOT_FOUND' }));
      for (const i of c.instances) {
        expect(await answers(i, id), `${i.name} while the job runs or waits`).toEqual(expected);
        expect(await answers(i, unknown), `${i.name} for an unknown id`).toEqual(expected);
      }
      await completedEverywhere(id);
      for (const i of c.instances) expect(await answers(i, id), `${i.name} after the end`).toEqual(expected);
    });

    it('gives another user NOT_FOUND over the tRPC WebSocket on every instance, as for an unknown id', async () => {
      const mallory = await c.createUser('mallory@example.com', c.c, c.a);
      const id = await submit(c.b, bob.token, LONG);
      const unknown = randomUUID();
      const codes = async (i: GatewayInstance, promptId: string) => {
        await using ws = connectTrpcWs(i, mallory.token);
        const input = { prompt_id: promptId };
        return [
          await trpcCode(ws.client.comfy.status.query(input)),
          await trpcCode(ws.client.comfy.history.query(input)),
          await trpcCode(ws.client.comfy.jobs.byId.query(input)),
          await trpcCode(ws.client.comfy.cancel.mutate(input)),
          await firstOfOnStatus(ws.client, promptId),
        ];
      };
      const expected = Array.from({ length: 5 }, () => 'NOT_FOUND');
      for (const i of c.instances) {
        expect(await codes(i, id), `${i.name} while the job runs or waits`).toEqual(expected);
        expect(await codes(i, unknown), `${i.name} for an unknown id`).toEqual(expected);
      }
      // The owner's WebSocket on the third instance has it, and its cancel was not touched by the others.
      {
        await using ws = connectTrpcWs(c.c, bob.token);
        expect(['queued', 'running']).toContain(
          (await ws.client.comfy.status.query({ prompt_id: id })).status,
        );
      }
      await completedEverywhere(id);
      for (const i of c.instances) expect(await codes(i, id), `${i.name} after the end`).toEqual(expected);
    });
  });
}
