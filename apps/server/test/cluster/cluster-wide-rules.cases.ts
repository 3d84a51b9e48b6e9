import { beforeAll, describe, expect, it } from 'vitest';
import { until } from './cluster-fixture.ts';
import { errorCode, jobRecord, openSse, submit, submitRaw } from './cluster-calls.ts';
import type { MultiCluster } from './multi-process.ts';

// Jobs of ~1 s at 20 ms a step, so a user's two stay active while the third submit is tried.
const STEPS = 50;

/** Cluster-wide caps the cases count on (a user that needs more gets a cap of its own). */
export const CLUSTER_RULES_ENV = {
  USER_MAX_ACTIVE_JOBS: '2',
  COMFY_VIEW_RATE_LIMIT_PER_MIN: '3',
  USER_MAX_STREAMS: '8',
};
let c: MultiCluster;

const accepted = () => c.sims.reduce((n, s) => n + s.stats.promptsAccepted, 0);

/** Idempotency and limits hold for the cluster. Needs the env of `CLUSTER_RULES_ENV`. */
export function clusterWideRulesCases(cluster: () => MultiCluster): void {
  beforeAll(() => {
    c = cluster();
  });

  describe('idempotency across instances', () => {
    it('the same key on A then B (and C) is one job: the same answer, one row, one prompt upstream', async () => {
      const ann = await c.createUser('ann@example.com');
      const before = accepted();
      const first = await submitRaw(c.a, ann.token, { seed: 7, steps: 4, idempotencyKey: 'cluster-key-1' });
      expect(first.status).toBe(200);
      const answer = (await first.json()) as { prompt_id: string };
      for (const i of [c.b, c.c]) {
        const again = await submitRaw(i, ann.token, { seed: 7, steps: 4, idempotencyKey: 'cluster-key-1' });
        expect(again.status, i.name).toBe(200);
        expect(await again.json(), i.name).toEqual(answer);
      }
      // Another body under the same key is refused on any instance.
      const other = await submitRaw(c.c, ann.token, { seed: 8, steps: 4, idempotencyKey: 'cluster-key-1' });
      expect(other.status).toBe(409);
      await until(
        async () => (await jobRecord(c.b, answer.prompt_id, ann.token)).status === 'completed',
        'the job to complete',
      );
      const rows = [...(await c.ledger()).keys()].filter((id) => id === answer.prompt_id);
      expect(rows).toHaveLength(1);
      const list = (await (await c.c.request('/api/comfy/jobs', { token: ann.token })).json()) as {
        items: { prompt_id: string }[];
      };
      expect(list.items.map((j) => j.prompt_id)).toEqual([answer.prompt_id]);
      expect(accepted() - before).toBe(1);
    });

    it('the same key sent to A, B and C at once makes one job; the others replay it or get 409', async () => {
      const ben = await c.createUser('ben@example.com');
      const before = accepted();
      const answers = await Promise.all(
        c.instances.map((i) =>
          submitRaw(i, ben.token, { seed: 9, steps: 4, idempotencyKey: 'cluster-key-2' }),
        ),
      );
      const statuses = answers.map((r) => r.status);
      expect(
        statuses.filter((s) => s !== 200 && s !== 409),
        String(statuses),
      ).toEqual([]);
      const ids = new Set(
        await Promise.all(
          answers
            .filter((r) => r.status === 200)
            .map(async (r) => ((await r.json()) as { prompt_id: string }).prompt_id),
        ),
      );
      expect(ids.size).toBe(1);
      const [id] = [...ids] as [string];
      await until(
        async () => (await jobRecord(c.a, id, ben.token)).status === 'completed',
        'the job to complete',
      );
      const list = (await (await c.b.request('/api/comfy/jobs', { token: ben.token })).json()) as {
        items: { prompt_id: string }[];
      };
      expect(list.items.map((j) => j.prompt_id)).toEqual([id]);
      expect(accepted() - before).toBe(1);
    });
  });

  describe('limits across instances', () => {
    it('USER_MAX_ACTIVE_JOBS holds for the cluster: two active jobs on A and B, the third refused on C', async () => {
      const cy = await c.createUser('cy@example.com');
      const one = await submit(c.a, cy.token, { steps: STEPS });
      await submit(c.b, cy.token, { steps: STEPS });
      const third = await submitRaw(c.c, cy.token, { steps: STEPS });
      expect(third.status).toBe(429);
      expect(await errorCode(third)).toBe('RATE_LIMITED');
      // Someone else is not held back by cy's cap.
      const dee = await c.createUser('dee@example.com');
      expect((await submitRaw(c.c, dee.token, { steps: 2 })).status).toBe(200);
      // Once one of cy's ends, C takes the next.
      await until(
        async () => (await jobRecord(c.c, one, cy.token)).status === 'completed',
        'a job to end',
        20_000,
      );
      expect((await submitRaw(c.c, cy.token, { steps: 2 })).status).toBe(200);
    });

    it('a view limit of 3 per minute is 3 across A, B and C, then 429 on each', async () => {
      const eli = await c.createUser('eli@example.com');
      const view = (i: (typeof c.instances)[number]) =>
        i.request('/api/comfy/view?filename=nothing.png&type=output', { token: eli.token });
      const statuses = [];
      for (const i of c.instances) statuses.push((await view(i)).status);
      expect(statuses).toEqual([404, 404, 404]);
      for (const i of c.instances) {
        const limited = await view(i);
        expect(limited.status, i.name).toBe(429);
        expect(await errorCode(limited)).toBe('RATE_LIMITED');
      }
    });

    it('USER_MAX_STREAMS holds for the cluster: streams on A and B up to the cap, the next refused on C', async () => {
      const fay = await c.createUser('fay@example.com');
      const id = await submit(c.a, fay.token, { steps: 200 });
      const cap = Number(CLUSTER_RULES_ENV.USER_MAX_STREAMS);
      const open = [];
      for (let k = 0; k < cap; k++) open.push(await openSse(k % 2 === 0 ? c.a : c.b, id, fay.token));
      expect(open.map((r) => r.status)).toEqual(open.map(() => 200));
      const over = await openSse(c.c, id, fay.token);
      expect(over.status).toBe(429);
      expect(await errorCode(over)).toBe('RATE_LIMITED');
      // Closing one on A frees a place on C.
      await open[0]?.body?.cancel();
      await until(
        async () =>
          await openSse(c.c, id, fay.token).then(async (r) => {
            const ok = r.status === 200;
            await r.body?.cancel();
            return ok;
          }),
        'a free stream slot on C',
      );
      for (const r of open.slice(1)) await r.body?.cancel();
    });
  });
}
