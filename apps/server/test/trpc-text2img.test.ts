import { TRPCClientError, createTRPCClient, httpBatchLink } from '@trpc/client';
import type { inferRouterInputs } from '@trpc/server';
import superjson from 'superjson';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { AppRouter } from '@comfy-gateway/api';
import { startComfyApp } from './comfy-fixture.ts';
import type { ComfyTestApp } from './comfy-fixture.ts';

type Text2ImgInput = inferRouterInputs<AppRouter>['comfy']['text2img'];
type ErrorBody = { error: { message: string; details?: { fields?: Record<string, string[]> } } };

function trpc(app: ComfyTestApp) {
  const headers = { authorization: `Bearer ${app.adminToken}` };
  return createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: `${app.url}/trpc`, transformer: superjson, headers })],
  });
}

/** The message and field errors REST answers for the same body. */
async function restError(app: ComfyTestApp, json: unknown) {
  const res = await app.request('/api/comfy/text2img', { token: app.adminToken, method: 'POST', json });
  expect(res.status).toBe(400);
  const { error } = (await res.json()) as ErrorBody;
  return { message: error.message, fields: error.details?.fields };
}

async function trpcError(call: Promise<unknown>) {
  const err = await call.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TRPCClientError);
  const e = err as TRPCClientError<AppRouter>;
  return { message: e.message, fields: e.data?.fields ?? undefined };
}

describe('tRPC comfy.text2img input', () => {
  it('is the real parameter schema: a typo or a wrong type does not type-check', () => {
    expectTypeOf<{ caption: string }>().toExtend<Text2ImgInput>();
    expectTypeOf<{ caption: string; steps: string }>().not.toExtend<Text2ImgInput>();
    expectTypeOf<{ captionn: string }>().not.toExtend<Text2ImgInput>();
    expectTypeOf<Text2ImgInput>().toHaveProperty('preset');
    expectTypeOf<Text2ImgInput['steps']>().toEqualTypeOf<number | undefined>();
    // Object literals get the excess-property check too: the typo is a compile error.
    const typo = (client: ReturnType<typeof trpc>) =>
      // @ts-expect-error -- `captionn` is not a field
      client.comfy.text2img.mutate({ caption: 'x', captionn: 'oops' });
    expect(typo).toBeTypeOf('function');
  });

  it('rejects unknown keys and bad values, naming the same fields as REST', async () => {
    await using app = await startComfyApp();
    const client = trpc(app);
    const typo = { caption: 'x', captionn: 'oops' } as unknown as Text2ImgInput;
    expect(await trpcError(client.comfy.text2img.mutate(typo))).toEqual({
      message: 'captionn: unknown field',
      fields: { captionn: ['unknown field'] },
    });
    const wrongType = { caption: 'x', steps: 'twenty' } as unknown as Text2ImgInput;
    expect(await trpcError(client.comfy.text2img.mutate(wrongType))).toEqual(
      await restError(app, { caption: 'x', steps: 'twenty' }),
    );
    const empty = { caption: '  ' };
    expect(await trpcError(client.comfy.text2img.mutate(empty))).toEqual(await restError(app, empty));
    expect(app.sim.stats.promptsAccepted).toBe(0);
  });

  it('leaves defaults to the preset, then to the schema', async () => {
    await using app = await startComfyApp();
    const client = trpc(app);
    const out = await client.comfy.text2img.mutate({
      caption: 'x',
      preset: 'sample_basic_sdxl',
      width: 64,
      height: 64,
      idempotency_key: 'trpc-1',
    });
    expect(out).toMatchObject({ workflow_source: 'preset', preset: 'sample_basic_sdxl' });
    await app.services.comfy.waitForEnd(out.prompt_id);
    const wf = (await app.services.comfy.conn().client.getHistory(out.prompt_id))?.prompt.prompt;
    // The preset's 25 steps and karras, not the schema's 20 and normal.
    expect(wf?.['sampler']?.inputs).toMatchObject({
      steps: 25,
      scheduler: 'karras',
      sampler_name: 'dpmpp_2m',
    });
  });
});
