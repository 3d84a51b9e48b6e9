import type { Workflow } from '@comfy-gateway/schema';

/** A link to a node output: `[node_id, output_index]`. */
export type Link = [string, number];

/** Collects nodes and remembers which Text2ImgParams field each node (or input) came from. */
export class GraphBuilder {
  readonly workflow: Workflow = {};
  readonly #fields = new Map<string, string>();

  add(id: string, classType: string, inputs: Record<string, unknown>, field = 'workflow'): Link {
    this.workflow[id] = { class_type: classType, inputs };
    this.#fields.set(id, field);
    return [id, 0];
  }

  /** Names the params field behind one input (e.g. `ckpt_name` -> `checkpoint`). */
  fieldFor(id: string, input: string, field: string): void {
    this.#fields.set(`${id}\0${input}`, field);
  }

  fieldOf = (nodeId: string, input?: string): string | undefined =>
    (input !== undefined ? this.#fields.get(`${nodeId}\0${input}`) : undefined) ?? this.#fields.get(nodeId);
}
