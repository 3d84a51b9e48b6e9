/** Frame builders and a fake-upstream tracker rig for the event-driven tracker tests. */
import type { StreamEvent, Workflow } from '@comfy-gateway/schema';
import type { ComfyEvent } from '../client/events.ts';
import { parseTextFrame } from '../client/parse-frame.ts';
import type { ComfyHistoryEntry, ComfyQueue, ComfyQueueItem } from '../types.ts';
import { createJobTracker } from './job-tracker.ts';
import type { JobTrackerOptions } from './job-tracker.ts';

// The recorded EmptyImage -> ImageInvert -> SaveImage run (transcripts §5.1), as frames.
export const P = 'p1';
export const GRAPH: Workflow = {
  '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 64, batch_size: 1, color: 0 } },
  '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] }, _meta: { title: 'Invert it' } },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'invert' } },
};
export const IMG = { filename: 'invert_00001_.png', subfolder: '', type: 'output' as const };
export const f = (type: string, data: Record<string, unknown>): ComfyEvent => {
  const ev = parseTextFrame(JSON.stringify({ type, data }));
  if (!ev) throw new Error(`bad frame ${type}`);
  return ev;
};
export const status = (q: number) => f('status', { status: { exec_info: { queue_remaining: q } } });
export const start = (p = P) => f('execution_start', { prompt_id: p, timestamp: 1 });
export const cached = (nodes: string[], p = P) =>
  f('execution_cached', { nodes, prompt_id: p, timestamp: 1 });
export const executing = (node: string | null, p = P) =>
  f('executing', { node, display_node: node, prompt_id: p });
export const executed = (node: string, p = P) =>
  f('executed', { node, display_node: node, output: { images: [IMG] }, prompt_id: p });
export const success = (p = P) => f('execution_success', { prompt_id: p, timestamp: 2 });
export const NORMAL = [
  status(1),
  status(1),
  start(),
  cached([]),
  executing('1'),
  executing('2'),
  executing('3'),
  executed('3'),
  success(),
  status(0),
  executing(null),
];

export const item = (id: string, number: number): ComfyQueueItem => ({
  number,
  prompt_id: id,
  prompt: GRAPH,
  extra_data: {},
  outputs: ['3'],
});
export const entry = (
  id: string,
  statusStr: 'success' | 'error',
  last: [string, Record<string, unknown>],
): ComfyHistoryEntry => ({
  prompt: item(id, 0),
  outputs: statusStr === 'success' ? { '3': { images: [IMG] } } : {},
  status: {
    status_str: statusStr,
    completed: statusStr === 'success',
    messages: [['execution_start', { prompt_id: id }], last],
  },
  meta: {},
});

export function rig(over: Partial<JobTrackerOptions> = {}) {
  const upstream = {
    queue: { running: [], pending: [] } as ComfyQueue,
    history: new Map<string, ComfyHistoryEntry>(),
    calls: 0,
  };
  const metrics: string[] = [];
  const tracker = createJobTracker({
    client: {
      getQueue: () => {
        upstream.calls++;
        return Promise.resolve(upstream.queue);
      },
      getHistory: (id) => Promise.resolve(upstream.history.get(id) ?? null),
    },
    clientId: 'gw',
    pollIntervalMs: 100,
    silenceMs: 1000,
    onMetric: (name) => metrics.push(name),
    ...over,
  });
  tracker.setSocketUp(true);
  const follow = (id = P, o: { ownSocket?: boolean; prompt?: Workflow } = {}) => {
    const events: StreamEvent[] = [];
    tracker.track(id, { prompt: o.prompt ?? GRAPH, ownSocket: o.ownSocket ?? true });
    events.push(...tracker.eventsSince(id).map((e) => e.event));
    tracker.subscribe(id, (e) => events.push(e.event));
    return events;
  };
  const feed = (evs: ComfyEvent[]) => evs.forEach((e) => tracker.handleEvent(e));
  return { tracker, upstream, metrics, follow, feed };
}
export const types = (events: StreamEvent[]) => events.map((e) => e.type);
