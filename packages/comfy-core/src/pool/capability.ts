import type { ComfyObjectInfo, Workflow } from '@comfy-gateway/schema';
import { validateWorkflow } from '../builder/validate.ts';
import type { WorkflowIssue } from '../builder/validate.ts';

/** What a server lacks to run a workflow: node classes and combo values (checkpoints, LoRAs, ...). */
export function missingCapabilities(
  workflow: Workflow,
  objectInfo: ComfyObjectInfo,
  fieldOf?: (nodeId: string, input?: string) => string | undefined,
): WorkflowIssue[] {
  const check = validateWorkflow(workflow, objectInfo, fieldOf);
  if (check.ok) return [];
  return check.issues.filter((i) => i.code === 'missing_node_class' || i.code === 'value_not_in_list');
}

/** object_info of several servers as one: every node class, each combo's options merged. */
export function mergeObjectInfo(infos: readonly ComfyObjectInfo[]): ComfyObjectInfo {
  const out: ComfyObjectInfo = {};
  for (const info of infos) {
    for (const [cls, node] of Object.entries(info)) {
      const have = out[cls];
      out[cls] = have ? mergeNode(have, node) : structuredClone(node);
    }
  }
  return out;
}

type NodeInfo = ComfyObjectInfo[string];

function mergeNode(into: NodeInfo, from: NodeInfo): NodeInfo {
  const input = (into as { input?: Record<string, Record<string, unknown>> }).input;
  const other = (from as { input?: Record<string, Record<string, unknown>> }).input;
  if (!input || !other) return into;
  for (const group of ['required', 'optional'] as const) {
    const a = input[group];
    const b = other[group];
    if (!a || !b) continue;
    for (const [name, spec] of Object.entries(b)) {
      const mine = a[name];
      if (!mine) {
        a[name] = structuredClone(spec);
        continue;
      }
      mergeOptions(mine, spec);
    }
  }
  return into;
}

/** A combo is `[[...options], cfg?]` or (V3) `['COMBO', { options }]`; options are unioned in place. */
function mergeOptions(mine: unknown, theirs: unknown): void {
  if (!Array.isArray(mine) || !Array.isArray(theirs)) return;
  if (Array.isArray(mine[0]) && Array.isArray(theirs[0])) {
    const set = new Set<unknown>(mine[0] as unknown[]);
    for (const v of theirs[0] as unknown[]) if (!set.has(v)) (mine[0] as unknown[]).push(v);
    return;
  }
  const a = mine[1] as { options?: unknown[] } | undefined;
  const b = theirs[1] as { options?: unknown[] } | undefined;
  if (mine[0] === 'COMBO' && Array.isArray(a?.options) && Array.isArray(b?.options)) {
    const set = new Set(a.options);
    for (const v of b.options) if (!set.has(v)) a.options.push(v);
  }
}
