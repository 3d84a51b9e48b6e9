import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/env.ts';
import { createLogger } from '../../src/http/logger.ts';
import { startGateway } from '../../src/server.ts';
import { modelWorkflow, must, queueOk, startPoolApp } from './pool-kit.ts';

describe('pool: restart', () => {
  it('rebuilds the gateway queue from the ledger and follows the dispatched job on its server', async () => {
    await using app = await startPoolApp([
      { checkpoints: ['a.safetensors'], max_in_flight: 1, stepMs: 20 },
      { checkpoints: ['b.safetensors'] },
    ]);
    await app.connected();
    const u = await app.createUser('u@example.com');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(await queueOk(app, u.token, { workflow: modelWorkflow('a.safetensors', i, 10) }));
    const rows = () =>
      app.db.prepare('SELECT prompt_id, status, backend FROM jobs ORDER BY created_at').all() as Array<{
        prompt_id: string;
        status: string;
        backend: string | null;
      }>;
    // One sent to s1, the rest waiting in the gateway queue (rows without a server).
    expect(rows().filter((r) => r.backend === null).length).toBeGreaterThanOrEqual(3);
    await app.services.comfy.close();

    const second = await startGateway(
      loadConfig({
        ROOT_DIR: app.rootDir,
        LOG_LEVEL: 'silent',
        HOST: '127.0.0.1',
        PORT: '0',
        COMFY_ENABLED: 'true',
        COMFY_BACKENDS: JSON.stringify(
          app.pool.members.map((m) => ({ name: m.name, url: m.baseUrl, max_in_flight: m.maxInFlight })),
        ),
        COMFY_RECONNECT_BASE_DELAY_S: '0.05',
        COMFY_HEALTH_INTERVAL_S: '0.5',
      }),
      { logger: createLogger('silent') },
    );
    try {
      const pool = second.services.comfy.pool;
      if (!pool) throw new Error('expected a pool');
      const finals = await Promise.all(
        ids.map(async (id) => {
          for await (const e of pool.stream(id)) if (e.event.type === 'done') return e.event.snapshot;
          return null;
        }),
      );
      expect(finals.map((f) => f?.status)).toEqual(Array(5).fill('completed'));
      const started = must(app.sims[0]).stats.started;
      expect(ids.every((id) => started.filter((s) => s === id).length === 1)).toBe(true);
    } finally {
      await second.close();
    }
  });
});
