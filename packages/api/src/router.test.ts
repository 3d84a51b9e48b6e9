import { GatewayError } from '@comfy-gateway/schema';
import type { StreamEvent, User } from '@comfy-gateway/schema';
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { createContextInner } from './context.ts';
import { createCallerFactory } from './init.ts';
import { appRouter } from './router.ts';
import type { PromptStream, Services } from './services.ts';

// The router runs against any implementation of `Services`: here a few stubs, no server, no database.
const ALICE: User = { id: 7, email: 'alice@example.com', role: 'user', active: true, created_at: 0 };
const DONE: StreamEvent = { type: 'done', snapshot: { prompt_id: 'p1', status: 'completed' } };

function stubServices(open: { count: number }): Services {
  const items = [{ id: '1', event: DONE }];
  const stream: PromptStream = { close: () => undefined, [Symbol.asyncIterator]: () => asyncOf(items) };
  const partial = {
    auth: { getUser: (id: number) => (id === ALICE.id ? ALICE : null) },
    presets: { list: () => Promise.resolve([{ id: 'sdxl', name: 'SDXL', description: null, defaults: {} }]) },
    comfy: {
      status: (promptId: string) =>
        Promise.reject(new GatewayError('NOT_FOUND', `unknown prompt ${promptId}`)),
      openStream: () => Promise.resolve(stream),
    },
    metrics: {
      openSubscriber: () => {
        open.count++;
        return () => void open.count--;
      },
    },
  };
  return partial as unknown as Services;
}

const createCaller = createCallerFactory(appRouter);

function asyncOf<T>(items: T[]): AsyncIterator<T> {
  const it = items[Symbol.iterator]();
  return { next: () => Promise.resolve(it.next()) };
}

describe('appRouter over stub services', () => {
  it('calls the services with the context user, re-checked through auth.getUser', async () => {
    const services = stubServices({ count: 0 });
    const caller = createCaller(createContextInner({ services, user: ALICE }));
    await expect(caller.presets.list()).resolves.toEqual([
      { id: 'sdxl', name: 'SDXL', description: null, defaults: {} },
    ]);
    const gone = createCaller(createContextInner({ services, user: { ...ALICE, id: 8 } }));
    await expect(gone.presets.list()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it("maps a service's GatewayError to its tRPC code", async () => {
    const caller = createCaller(createContextInner({ services: stubServices({ count: 0 }), user: ALICE }));
    const err: unknown = await caller.comfy
      .status({ prompt_id: '6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCError);
    expect(err).toMatchObject({ code: 'NOT_FOUND', message: /unknown prompt/ });
  });

  it('counts an onStatus subscriber through services.metrics until the stream ends', async () => {
    const open = { count: 0 };
    const caller = createCaller(createContextInner({ services: stubServices(open), user: ALICE }));
    const events = await caller.comfy.onStatus({ prompt_id: '6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b' });
    const seen: unknown[] = [];
    for await (const e of events) {
      expect(open.count).toBe(1);
      seen.push(e);
    }
    expect(seen).toHaveLength(1);
    expect(open.count).toBe(0);
  });
});
