import type { ComfyObjectInfo, Workflow } from '@comfy-gateway/schema';
import { inputSpecs } from './node-spec.ts';
import { suggest } from './suggest.ts';

/** One problem found in a graph, named by the Text2ImgParams field behind it. */
export interface WorkflowIssue {
  field: string;
  node_id: string;
  class_type: string;
  input?: string;
  code: 'missing_node_class' | 'value_not_in_list' | 'missing_input' | 'bad_link';
  message: string;
  suggestions: string[];
  /** For `value_not_in_list`: the first values the server offers, and how many it offers. */
  available?: string[];
  available_count?: number;
}

/** How many offered values an issue lists (a server may have hundreds of LoRAs). */
export const MAX_AVAILABLE = 20;

/** Result of `validateWorkflow`. */
export type ValidationResult = { ok: true } | { ok: false; issues: WorkflowIssue[] };

const isLink = (v: unknown): v is [string, number] =>
  Array.isArray(v) && v.length === 2 && typeof v[1] === 'number';

// ComfyUI's own rule: `*` takes anything, and comma-separated unions match when they overlap.
function typesMatch(received: string, wanted: string): boolean {
  if (received === wanted || received === '*' || wanted === '*' || wanted === 'COMBO') return true;
  const got = new Set(received.split(',').map((t) => t.trim()));
  return wanted.split(',').some((t) => got.has(t.trim()));
}

/**
 * Checks a graph against a server's object_info before queueing: unknown node classes, combo
 * values not offered (with close matches), missing required inputs and dangling links.
 */
export function validateWorkflow(
  workflow: Workflow,
  objectInfo: ComfyObjectInfo,
  fieldOf: (nodeId: string, input?: string) => string | undefined = () => undefined,
): ValidationResult {
  const issues: WorkflowIssue[] = [];
  for (const [id, node] of Object.entries(workflow)) {
    const info = objectInfo[node.class_type];
    const base = { node_id: id, class_type: node.class_type };
    if (!info) {
      issues.push({
        ...base,
        field: fieldOf(id) ?? 'workflow',
        code: 'missing_node_class',
        message: `this ComfyUI server has no ${node.class_type} node (is its custom node pack installed?)`,
        suggestions: suggest(node.class_type, Object.keys(objectInfo)),
      });
      continue;
    }
    for (const spec of inputSpecs(info)) {
      const value = node.inputs[spec.name];
      const field = fieldOf(id, spec.name) ?? fieldOf(id) ?? 'workflow';
      if (value === undefined) {
        if (spec.required)
          issues.push({
            ...base,
            field,
            input: spec.name,
            code: 'missing_input',
            message: `${node.class_type} needs input ${spec.name}`,
            suggestions: [],
          });
        continue;
      }
      if (isLink(value)) {
        const source = workflow[String(value[0])];
        const outputs = source ? objectInfo[source.class_type]?.output : undefined;
        const type = outputs?.[value[1]];
        if (!source || (outputs && type === undefined)) {
          issues.push({
            ...base,
            field,
            input: spec.name,
            code: 'bad_link',
            message: `${spec.name} links to missing output ${value[0]}:${value[1]}`,
            suggestions: [],
          });
        } else if (type !== undefined && !typesMatch(type, spec.type)) {
          const message = `${spec.name} wants ${spec.type} but ${value[0]}:${value[1]} gives ${type}`;
          issues.push({ ...base, field, input: spec.name, code: 'bad_link', message, suggestions: [] });
        }
        continue;
      }
      // Options are strings; an object value must not match "[object Object]".
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      if (spec.options && spec.options.length > 0 && !spec.options.includes(text)) {
        issues.push({
          ...base,
          field,
          input: spec.name,
          code: 'value_not_in_list',
          message: `${JSON.stringify(value)} is not available on this ComfyUI server`,
          suggestions: suggest(text, spec.options),
          available: spec.options.slice(0, MAX_AVAILABLE),
          available_count: spec.options.length,
        });
      }
    }
  }
  return issues.length === 0 ? { ok: true } : { ok: false, issues };
}
