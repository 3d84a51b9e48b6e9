import type { ComfyObjectInfo, NodeInfo } from '@comfy-gateway/schema';

/** One input of a node definition, V1 and V3 alike. */
export interface InputSpec {
  name: string;
  required: boolean;
  /** A type name (`MODEL`, `INT`, ...) or `COMBO` with its options. */
  type: string;
  options: string[] | null;
}

/** Normalises V1 (`[[...options], cfg]`) and V3 (`["COMBO", {options}]`) input specs. */
export function inputSpecs(node: NodeInfo): InputSpec[] {
  const specs: InputSpec[] = [];
  for (const required of [true, false]) {
    const group = required ? node.input?.required : node.input?.optional;
    for (const [name, spec] of Object.entries(group ?? {})) {
      const [kind, cfg] = spec as [unknown, unknown?];
      if (Array.isArray(kind)) {
        specs.push({ name, required, type: 'COMBO', options: kind.map(String) });
      } else if (kind === 'COMBO') {
        const options = (cfg as { options?: unknown[] } | undefined)?.options;
        specs.push({
          name,
          required,
          type: 'COMBO',
          options: Array.isArray(options) ? options.map(String) : null,
        });
      } else {
        specs.push({ name, required, type: String(kind), options: null });
      }
    }
  }
  return specs;
}

/** Options of a combo input (checkpoints, LoRAs, samplers, ...); empty when unknown. */
export function listOptions(objectInfo: ComfyObjectInfo, classType: string, input: string): string[] {
  const node = objectInfo[classType];
  if (!node) return [];
  return inputSpecs(node).find((s) => s.name === input)?.options ?? [];
}
