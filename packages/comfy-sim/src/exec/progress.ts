type NodeState = { value: number; max: number; state: 'running' | 'finished' };

/** Per-prompt progress_state map: every non-pending node, in prompt order, re-sent on each change. */
export class ProgressRegistry {
  private readonly states = new Map<string, NodeState>();

  constructor(
    private readonly promptId: string,
    private readonly order: string[],
    private readonly emit: (data: Record<string, unknown>) => void,
  ) {}

  start(id: string): void {
    this.set(id, { value: 0, max: 1, state: 'running' });
  }

  update(id: string, value: number, max: number): void {
    this.set(id, { value, max, state: 'running' });
  }

  finish(id: string): void {
    const max = this.states.get(id)?.max ?? 1;
    this.set(id, { value: max, max, state: 'finished' });
  }

  private set(id: string, s: NodeState): void {
    this.states.set(id, s);
    const nodes: Record<string, unknown> = {};
    for (const nid of this.order) {
      const st = this.states.get(nid);
      if (!st) continue;
      nodes[nid] = {
        value: st.value,
        max: st.max,
        state: st.state,
        node_id: nid,
        prompt_id: this.promptId,
        display_node_id: nid,
        parent_node_id: null,
        real_node_id: nid,
      };
    }
    this.emit({ prompt_id: this.promptId, nodes });
  }
}
