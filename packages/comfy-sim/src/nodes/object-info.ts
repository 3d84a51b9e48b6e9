import { SEED_MAX } from './lists.ts';
import type { InputSpec, NodeDef } from './types.ts';

type Section = 'required' | 'optional' | 'hidden';

function inputsOf(def: NodeDef): { input: Record<string, unknown>; order: Record<string, string[]> } {
  const input: Record<string, unknown> = {};
  const order: Record<string, string[]> = {};
  const sections: [Section, Record<string, InputSpec> | Record<string, string> | undefined][] = [
    ['required', def.required],
    ['optional', def.optional],
    ['hidden', def.hidden],
  ];
  for (const [name, entries] of sections) {
    if (!entries || (name !== 'required' && Object.keys(entries).length === 0)) continue;
    const out: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries<InputSpec | string>(entries)) {
      // V3 hidden inputs are arrays (`["PROMPT"]`), V1 ones plain strings.
      out[key] = typeof spec === 'string' ? (def.v3 ? [spec] : spec) : [...spec];
    }
    input[name] = out;
    order[name] = Object.keys(entries);
  }
  return { input, order };
}

/** The object_info entry for one node class, in the V1 or V3 shape (comfy-protocol.md §1.1). */
export function toNodeInfo(def: NodeDef): Record<string, unknown> {
  const { input, order } = inputsOf(def);
  const base = {
    input,
    input_order: order,
    output: def.outputs,
    output_is_list: def.outputs.map(() => false),
    output_name: def.outputNames ?? def.outputs,
  };
  if (!def.v3) {
    return {
      ...base,
      name: def.name,
      display_name: def.displayName ?? def.name,
      description: def.description,
      python_module: def.pythonModule,
      category: def.category,
      output_node: def.outputNode,
    };
  }
  return {
    ...base,
    output_tooltips: def.outputs.map(() => null),
    name: def.name,
    display_name: def.displayName,
    description: def.description,
    python_module: def.pythonModule,
    category: def.category,
    output_node: def.outputNode,
    deprecated: false,
    experimental: false,
    api_node: false,
  };
}

/** Builds the full GET /object_info map; `extra` entries are merged on top (benchmarks pad it). */
export function buildObjectInfo(
  defs: Map<string, NodeDef>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const def of defs.values()) out[def.name] = toNodeInfo(def);
  return { ...out, ...extra };
}

const SEED_MAX_JS = JSON.stringify(SEED_MAX);

/** JSON text for object_info; restores 2^64-1's exact digits, which a JS number cannot hold. */
export function objectInfoJson(info: unknown): string {
  return JSON.stringify(info).split(`:${SEED_MAX_JS}`).join(':18446744073709551615');
}
