import type { ComfyObjectInfo, NodeInfo } from '@comfy-gateway/schema';

export interface InputRow {
  name: string;
  required: boolean;
  type: string;
  /** Combo values, when the input is a list. */
  options: string[];
  config: Record<string, unknown>;
}

/** Nodes whose class name, display name or category contains every word of the query. */
export function searchNodes(info: ComfyObjectInfo, q: string, category = ''): NodeInfo[] {
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  return Object.entries(info)
    .map(([key, node]) => ({ ...node, name: node.name || key }))
    .filter(
      (n) => !category || (n.category ?? '') === category || (n.category ?? '').startsWith(`${category}/`),
    )
    .filter((n) => {
      const hay = `${n.name} ${n.display_name ?? ''} ${n.category ?? ''}`.toLowerCase();
      return words.every((w) => hay.includes(w));
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Top-level categories ("sampling", "loaders", ...), sorted. */
export function topCategories(info: ComfyObjectInfo): string[] {
  return [...new Set(Object.values(info).map((n) => (n.category ?? 'uncategorized').split('/')[0] ?? ''))]
    .filter(Boolean)
    .sort();
}

/** The inputs of a node as rows (required first, in the node's order). */
export function inputRows(node: NodeInfo): InputRow[] {
  const rows: InputRow[] = [];
  for (const [group, required] of [
    ['required', true],
    ['optional', false],
  ] as const) {
    for (const [name, spec] of Object.entries(node.input?.[group] ?? {})) {
      const [head, rawConfig] = spec;
      const config =
        typeof rawConfig === 'object' && rawConfig !== null ? (rawConfig as Record<string, unknown>) : {};
      const listed = Array.isArray(head)
        ? head
        : Array.isArray(config['options'])
          ? (config['options'] as unknown[])
          : [];
      rows.push({
        name,
        required,
        type: Array.isArray(head) ? 'COMBO' : head,
        options: listed.filter((v): v is string => typeof v === 'string'),
        config,
      });
    }
  }
  return rows;
}
