import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createComfyGatewayClient } from '@comfy-gateway/client';
import { describe, expect, it } from 'vitest';
import { describeEvent, main } from '../text2img.ts';
import { startDemoGateway } from './gateway.ts';

describe('examples/text2img', () => {
  it('runs text2img end to end: progress, image on disk, gallery item', async () => {
    await using gw = await startDemoGateway();
    const outDir = await mkdtemp(path.join(tmpdir(), 'cg-example-out-'));
    try {
      const lines: string[] = [];
      const result = await main({
        url: gw.url,
        token: gw.apiToken,
        outDir,
        caption: 'a lighthouse at dusk',
        params: { width: 256, height: 256, steps: 6 },
        log: (line) => lines.push(line),
      });
      expect(gw.apiToken).toMatch(/^cgt_/);
      expect(lines[0]).toMatch(
        new RegExp(`^prompt ${result.promptId} queued \\(seed \\d+, \\w+ workflow\\)$`),
      );
      expect(lines.some((l) => /^running \d+%/.test(l))).toBe(true);
      expect(lines).toContain('done: completed');
      expect(lines.at(-1)).toMatch(new RegExp(`^gallery id: ${result.galleryId} -> `));

      const bytes = await readFile(result.file);
      expect(bytes.length).toBe(result.bytes);
      expect([...bytes.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
      expect(result.galleryId).toMatch(/^[0-9a-f]{16}$/);
      expect(result.deduplicated).toBe(false);
      await using client = createComfyGatewayClient({ url: gw.url, token: gw.apiToken });
      const item = await client.trpc.gallery.byId.query({ id: result.galleryId });
      expect(item.prompt_id).toBe(result.promptId);
      expect(item.sidecar.metadata).toMatchObject({ caption: 'a lighthouse at dusk', seed: result.seed });
      expect(item.sidecar.workflow).not.toBeNull();
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  });

  it('describes stream events as progress lines', () => {
    const snapshot = {
      prompt_id: 'p',
      status: 'running' as const,
      progress: { value: 3, max: 6, node: '3', percent: 42.4 },
    };
    expect(describeEvent({ type: 'status', snapshot })).toBe('running 42% 3');
    expect(
      describeEvent({ type: 'status', snapshot: { prompt_id: 'p', status: 'queued', queue_position: 2 } }),
    ).toBe('queued (position 2)');
    expect(describeEvent({ type: 'warning', code: 'FOLLOWED_BY_POLLING', message: 'polling' })).toBe(
      'warning: polling',
    );
    expect(describeEvent({ type: 'preview', node: '3', mime: 'image/jpeg', data: '' })).toBeNull();
    expect(describeEvent({ type: 'done', snapshot: { prompt_id: 'p', status: 'failed' } })).toBe(
      'done: failed',
    );
  });
});
