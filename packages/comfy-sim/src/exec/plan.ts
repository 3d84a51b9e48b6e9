import type { NodeDef } from '../nodes/types.ts';
import { isObject, type Graph } from './validate-types.ts';

/**
 * The execution list: output nodes plus their uncached dependencies, picked one ready node at a
 * time with ComfyUI's "UX friendly" preference (outputs first, then nodes feeding them).
 */
export class ExecutionPlan {
  private readonly pending: string[] = [];
  private readonly blockCount = new Map<string, number>();
  private readonly blocking = new Map<string, Set<string>>();

  constructor(
    private readonly prompt: Graph,
    private readonly defs: Map<string, NodeDef>,
    private readonly isCached: (id: string) => boolean,
  ) {}

  /** Stages `root` and its uncached inputs with an explicit stack, as upstream does (order matters). */
  add(root: string): void {
    const stack = [root];
    while (stack.length > 0) {
      const id = stack.pop() as string;
      if (this.pending.includes(id)) continue;
      this.pending.push(id);
      this.blockCount.set(id, this.blockCount.get(id) ?? 0);
      const inputs = this.prompt[id]?.inputs;
      if (!isObject(inputs)) continue;
      for (const v of Object.values(inputs)) {
        if (!Array.isArray(v) || typeof v[0] !== 'string' || !(v[0] in this.prompt)) continue;
        const from = v[0];
        if (this.isCached(from)) continue;
        stack.push(from);
        const set = this.blocking.get(from) ?? new Set<string>();
        if (!set.has(id)) {
          set.add(id);
          this.blocking.set(from, set);
          this.blockCount.set(id, (this.blockCount.get(id) ?? 0) + 1);
        }
      }
    }
  }

  get done(): boolean {
    return this.pending.length === 0;
  }

  private isOutput(id: string): boolean {
    return this.defs.get(String(this.prompt[id]?.class_type))?.outputNode === true;
  }

  /** The next node to run; null when nothing is ready (a cycle). */
  next(): string | null {
    const ready = this.pending.filter((id) => this.blockCount.get(id) === 0);
    const feeds = (id: string, depth: number): boolean =>
      [...(this.blocking.get(id) ?? [])].some((b) => (depth === 0 ? this.isOutput(b) : feeds(b, depth - 1)));
    const pick =
      ready.find((id) => this.isOutput(id)) ??
      ready.find((id) => feeds(id, 0)) ??
      ready.find((id) => feeds(id, 1)) ??
      ready[0];
    return pick ?? null;
  }

  /** Marks `id` finished and unblocks what it feeds. */
  complete(id: string): void {
    this.pending.splice(this.pending.indexOf(id), 1);
    for (const b of this.blocking.get(id) ?? []) this.blockCount.set(b, (this.blockCount.get(b) ?? 1) - 1);
  }
}
