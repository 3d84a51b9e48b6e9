import http from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { StreamEvent } from '@comfy-gateway/schema';
import { describe, expect, it } from 'vitest';
import { samplerWorkflow, startComfyApp } from './comfy-fixture.ts';

interface Frame {
  event: string;
  id: number;
  data: StreamEvent & { snapshot?: { pad?: string; seq?: number } };
}

const parseFrames = (text: string): Frame[] =>
  text
    .split('\n\n')
    .map((block) => block.split('\n'))
    .flatMap((lines) => {
      const field = (name: string) => lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
      const data = field('data');
      const id = field('id');
      return data === undefined || id === undefined
        ? []
        : [{ event: field('event') ?? 'message', id: Number(id), data: JSON.parse(data) as Frame['data'] }];
    });

describe('SSE to a reader that does not keep up', () => {
  it('coalesces superseded statuses, keeps images, warnings and done, and ids stay increasing', async () => {
    // A slow job: the tracker stays quiet while the test emits on the job's channel itself.
    await using app = await startComfyApp({ stepMs: 5000 });
    await app.connected();
    const queued = await app.request('/api/comfy/queue', {
      token: app.adminToken,
      method: 'POST',
      json: { workflow: samplerWorkflow(9, 20) },
    });
    const { prompt_id } = (await queued.json()) as { prompt_id: string };
    const bus = app.services.comfy.pool?.bus;
    if (!bus) throw new Error('no pool');

    // A real socket whose reader stops reading after the first bytes: TCP fills, then Node's buffer.
    const url = new URL(`/api/comfy/stream/${prompt_id}`, app.url);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = http.get(url, { agent: false, headers: { authorization: `Bearer ${app.adminToken}` } });
      req.once('response', resolve).once('error', reject);
    });
    expect(res.statusCode).toBe(200);
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    await new Promise((resolve) => res.once('data', resolve));
    res.pause();

    const pad = 'x'.repeat(256 * 1024);
    const base = { prompt_id, status: 'running' as const };
    let statuses = 0;
    const kept: string[] = [];
    for (let seq = 1; seq <= 200; seq++) {
      bus.emit(prompt_id, { type: 'status', snapshot: { ...base, pad, seq } as never });
      statuses++;
      if (seq % 20 === 0) {
        bus.emit(prompt_id, {
          type: 'images',
          node: '9',
          images: [{ filename: `${seq}.png`, subfolder: '', type: 'output' }],
        });
        kept.push(`images ${seq}`);
      }
      if (seq % 50 === 0) {
        bus.emit(prompt_id, { type: 'warning', code: 'slow', message: `w${seq}` } as never);
        kept.push(`warning ${seq}`);
      }
      // Let the writer run between events, as live events arrive over time.
      await new Promise((resolve) => setImmediate(resolve));
    }
    bus.emit(prompt_id, { type: 'done', snapshot: { ...base, status: 'completed', seq: 201 } as never });

    const ended = new Promise((resolve) => res.once('end', resolve));
    res.resume();
    await ended;
    const frames = parseFrames(Buffer.concat(chunks).toString('utf8'));
    const live = frames.filter((f) => (f.data.type === 'status' ? f.data.snapshot.seq !== undefined : true));

    const ids = frames.map((f) => f.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    const liveStatuses = live.filter((f) => f.event === 'status');
    // Coalesced: fewer statuses than emitted, the latest (seq 200) among them, done last.
    expect(liveStatuses.length).toBeLessThan(statuses);
    expect(liveStatuses.at(-1)?.data.snapshot?.seq).toBe(200);
    expect(frames.at(-1)?.event).toBe('done');
    const others = live.flatMap((f) => {
      if (f.data.type === 'images') return [`images ${f.data.images[0]?.filename.replace('.png', '')}`];
      if (f.data.type === 'warning') return [`warning ${f.data.message.slice(1)}`];
      return [];
    });
    expect(others).toEqual(kept);
  });
});
