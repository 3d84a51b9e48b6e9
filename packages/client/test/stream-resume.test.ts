import { txt2img } from '@comfy-gateway/comfy-sim/conformance';
import { describe, expect, it } from 'vitest';
import { createComfyGatewayClient } from '../src/index.ts';
import type { GatewayRest, StreamItem } from '../src/index.ts';
import { startCutProxy } from './cut-proxy.ts';
import { startTestGateway } from './gateway.ts';

/** Every event id of a prompt's stream, read without interruption: the reference. */
async function allIds(rest: GatewayRest, promptId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const item of rest.stream(promptId)) ids.push(item.id);
  return ids;
}

const typeOf = (items: StreamItem[]) => items.map((i) => i.event.type);

describe('REST stream resume', () => {
  it('resumes with lastEventId after the caller stopped reading: no gaps, no repeats', async () => {
    await using gw = await startTestGateway({ stepMs: 20 });
    const { rest } = createComfyGatewayClient({ url: gw.url, token: gw.apiToken });
    const { prompt_id } = await rest.queue(txt2img({ steps: 30, size: 256 }));
    const reference = allIds(rest, prompt_id);

    const first: StreamItem[] = [];
    const ac = new AbortController();
    await expect(
      (async () => {
        for await (const item of rest.stream(prompt_id, { signal: ac.signal })) {
          first.push(item);
          if (first.length === 3) ac.abort(new Error('stopped reading'));
        }
      })(),
    ).rejects.toThrow('stopped reading');
    expect(first).toHaveLength(3);

    const rest2: StreamItem[] = [];
    for await (const item of rest.stream(prompt_id, { lastEventId: first.at(-1)?.id ?? '' }))
      rest2.push(item);
    const resumed = [...first, ...rest2].map((i) => i.id);
    expect(resumed).toEqual(await reference);
    expect(new Set(resumed).size).toBe(resumed.length);
    expect(typeOf(rest2).at(-1)).toBe('done');
  });

  it('reconnects by itself when the connection drops mid-stream', async () => {
    await using gw = await startTestGateway({ stepMs: 20 });
    await using proxy = await startCutProxy(gw.url);
    const direct = createComfyGatewayClient({ url: gw.url, token: gw.apiToken });
    const viaProxy = createComfyGatewayClient({ url: proxy.url, token: gw.apiToken });
    const { prompt_id } = await direct.rest.queue(txt2img({ steps: 30, size: 256 }));
    const reference = allIds(direct.rest, prompt_id);

    const items: StreamItem[] = [];
    for await (const item of viaProxy.rest.stream(prompt_id, { retryDelayMs: 20 })) {
      items.push(item);
      if (items.length === 2) proxy.cut();
    }
    expect(proxy.accepted).toBeGreaterThanOrEqual(2);
    expect(items.map((i) => i.id)).toEqual(await reference);
    expect(typeOf(items).at(-1)).toBe('done');
  });
});
