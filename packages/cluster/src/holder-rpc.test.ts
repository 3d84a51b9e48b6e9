import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '@comfy-gateway/schema';
import { createHolderRpc } from './holder-rpc.ts';
import type { HolderRpc } from './holder-rpc.ts';
import { redisFixture } from './testing/redis-fixture.ts';
import type { RedisFixture } from './testing/redis-fixture.ts';

let fx: RedisFixture;
beforeAll(async () => {
  fx = await redisFixture();
});
afterAll(() => fx.close());

let n = 0;
async function pair(
  timeoutMs?: number,
): Promise<{ holder: HolderRpc; caller: HolderRpc; close: () => Promise<void> }> {
  const channel = `rpc:test:${++n}`;
  const make = (id: string) =>
    createHolderRpc({ redis: fx.connect(id), channel, instanceId: id, ...(timeoutMs ? { timeoutMs } : {}) });
  const holder = make('h');
  const caller = make('c');
  await Promise.all([holder.ready(), caller.ready()]);
  return { holder, caller, close: async () => void (await Promise.all([holder.close(), caller.close()])) };
}

describe('holder rpc', () => {
  it('runs a call on the serving instance and brings its answer back', async () => {
    const { holder, caller, close } = await pair();
    await holder.serve((op, args) => Promise.resolve({ op, args }));
    await expect(caller.call('cancel', { promptId: 'p1' })).resolves.toEqual({
      op: 'cancel',
      args: { promptId: 'p1' },
    });
    await close();
  });

  it('a GatewayError thrown by the holder arrives with its code, message and details', async () => {
    const { holder, caller, close } = await pair();
    await holder.serve(() => Promise.reject(new GatewayError('NOT_FOUND', 'unknown prompt x', { x: 1 })));
    const err = await caller.call('status', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ code: 'NOT_FOUND', message: 'unknown prompt x', details: { x: 1 } });
    await close();
  });

  it('any other failure becomes INTERNAL without its message', async () => {
    const { holder, caller, close } = await pair();
    await holder.serve(() => Promise.reject(new Error('secret host 10.0.0.1')));
    const err = await caller.call('x', {}).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INTERNAL' });
    expect(String((err as Error).message)).not.toContain('10.0.0.1');
    await close();
  });

  it('with nobody serving (a handover), the call fails at once with COMFY_UNAVAILABLE', async () => {
    const { holder, caller, close } = await pair();
    await holder.serve(() => Promise.resolve(1));
    await holder.stopServing();
    const started = Date.now();
    await expect(caller.call('x', {})).rejects.toMatchObject({ code: 'COMFY_UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(2000);
    await close();
  });

  it('a holder that never answers: COMFY_UNAVAILABLE after the timeout', async () => {
    const { holder, caller, close } = await pair(150);
    await holder.serve(() => new Promise(() => undefined));
    await expect(caller.call('x', {})).rejects.toMatchObject({ code: 'COMFY_UNAVAILABLE' });
    await close();
  });
});
