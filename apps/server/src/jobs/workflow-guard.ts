import type { Workflow } from '@comfy-gateway/schema';
import { GatewayError } from '../errors.ts';

/** Deeper than this is no graph ComfyUI runs, only a way to make someone recurse. */
export const MAX_WORKFLOW_DEPTH = 64;

/** Inputs that name files on the ComfyUI server. */
const FILE_INPUT = /filename|^image$|^video$|^audio$|^ckpt_path$/i;

/** Nesting depth of a JSON value, without recursion, stopping as soon as it passes `limit`. */
export function depthExceeds(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(v as Record<string, unknown>)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Absolute (`/x`, `\x`, `C:x`) or climbing out (`..` as a path segment). */
function escapesFolder(name: string): boolean {
  if (/^[/\\]/.test(name) || /^[A-Za-z]:/.test(name)) return true;
  return name.split(/[/\\]/).some((part) => part === '..');
}

const refuse = (field: string, message: string) =>
  new GatewayError('VALIDATION_ERROR', `${field}: ${message}`, { fields: { [field]: [message] } });

/**
 * Checks what ComfyUI itself would not: nesting depth, file-name inputs that leave ComfyUI's
 * folders, and (when configured) node classes outside the allow-list. Throws 400 naming the spot.
 */
export function guardWorkflow(workflow: Workflow, o: { allowlist: ReadonlySet<string> | null }): void {
  if (depthExceeds(workflow, MAX_WORKFLOW_DEPTH))
    throw refuse('workflow', `nested deeper than ${MAX_WORKFLOW_DEPTH} levels`);
  for (const [id, node] of Object.entries(workflow)) {
    for (const [input, value] of Object.entries(node.inputs)) {
      if (typeof value === 'string' && FILE_INPUT.test(input) && escapesFolder(value)) {
        throw refuse(
          `workflow.${id}.inputs.${input}`,
          `node ${id} (${node.class_type}): ${input} must be a relative name without ".."`,
        );
      }
    }
  }
  if (o.allowlist) {
    const refused = [...new Set(Object.values(workflow).map((n) => n.class_type))].filter(
      (c) => !o.allowlist?.has(c),
    );
    if (refused.length > 0) {
      throw refuse(
        'workflow',
        `node classes not allowed on this gateway: ${refused.join(', ')} (COMFY_NODE_ALLOWLIST)`,
      );
    }
  }
}
