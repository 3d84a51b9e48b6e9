import { Child } from '../child.ts';
import { newGroup } from '../subscribers/subscription.ts';
import type { ProcStats } from './proc-stats.ts';
import type { CollectResult, GroupResult, SubSpec } from './subscriber-child.ts';
import type { ProgressFrame } from './sim-proc.ts';

export type { SubSpec };

/** Several subscriber processes (see subscriber-child.ts), sockets dealt out round robin. */
export class SubscriberPool {
  readonly #children: Child[];

  constructor(processes: number) {
    this.#children = Array.from(
      { length: Math.max(1, processes) },
      () => new Child('./procs/subscriber-child.ts'),
    );
  }

  async ready(): Promise<void> {
    await Promise.all(this.#children.map((c) => c.ready));
  }

  /** Opens every subscription; resolves with how many are live once all processes are done. */
  async connect(token: string, specs: SubSpec[]): Promise<number> {
    const parts = this.#children.map((_, i) => specs.filter((__, j) => j % this.#children.length === i));
    const counts = await Promise.all(
      this.#children.map((c, i) => c.call<number>('connect', { token, specs: parts[i] })),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Waits until every subscription ended (or the timeout), merged per group. */
  async collect(timeoutMs: number): Promise<CollectResult> {
    const all = await Promise.all(this.#children.map((c) => c.call<CollectResult>('collect', { timeoutMs })));
    const groups: Record<string, GroupResult> = {};
    for (const r of all)
      for (const [name, g] of Object.entries(r.groups)) {
        const m = (groups[name] ??= newGroup());
        m.subs += g.subs;
        m.connections += g.connections;
        m.done += g.done;
        m.failed += g.failed;
        m.disordered += g.disordered;
        m.events += g.events;
        m.steps.push(...g.steps);
        for (const [k, ts] of Object.entries(g.arrivals)) (m.arrivals[k] ??= []).push(...ts);
      }
    const ends = all.map((r) => r.cpuUsAtEnd);
    return {
      groups,
      errors: all.flatMap((r) => r.errors).slice(0, 10),
      cpuUsAtEnd: ends.every((c) => c !== null) ? ends.reduce<number>((a, c) => a + (c ?? 0), 0) : null,
    };
  }

  /** Summed CPU time of the subscriber processes. */
  async cpuUs(): Promise<number> {
    const s: ProcStats[] = await Promise.all(this.#children.map((c) => c.stats()));
    return s.reduce((a, x) => a + x.cpuUs, 0);
  }

  async close(): Promise<void> {
    await Promise.all(this.#children.map((c) => c.close()));
  }
}

export const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;

export interface Delivery {
  /** Sorted latencies, ms, from the simulator's progress frame to the subscriber. */
  lat: number[];
  /** Arrivals of steps the simulator never sent (should be 0). */
  unmatched: number;
}

/** Latency of every step arrival in the groups, against the time the simulator sent that step. */
export function deliveryLatency(groups: GroupResult[], frames: ProgressFrame[]): Delivery {
  const sent = new Map<string, number>();
  for (const [prompt, node, value, , t] of frames) sent.set(`${prompt}|${node}|${value}`, t);
  const lat: number[] = [];
  let unmatched = 0;
  for (const g of groups)
    for (const [k, ts] of Object.entries(g.arrivals)) {
      const t0 = sent.get(k);
      if (t0 === undefined) unmatched += ts.length;
      else for (const t of ts) lat.push(t - t0);
    }
  lat.sort((a, b) => a - b);
  return { lat, unmatched };
}

/** Steps the simulator sent per prompt (what a subscriber that got everything counted). */
export function stepsPerPrompt(frames: ProgressFrame[]): Map<string, number> {
  const m = new Map<string, Set<string>>();
  for (const [prompt, node, value] of frames) {
    const s = m.get(prompt) ?? new Set<string>();
    s.add(`${node}|${value}`);
    m.set(prompt, s);
  }
  return new Map([...m].map(([p, s]) => [p, s.size]));
}
