import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Dirs } from '../files/dirs.ts';
import { resolveAnnotated } from '../files/dirs.ts';
import { isObject, type Graph } from './validate-types.ts';

export interface CachedNode {
  outputs: unknown[];
  ui: Record<string, unknown> | null;
}

/** IS_CHANGED: LoadImage re-runs when the file's bytes change. */
function changeToken(classType: string, inputs: Record<string, unknown>, dirs: Dirs): string {
  if (classType !== 'LoadImage') return '';
  const path = resolveAnnotated(dirs, String(inputs['image']));
  try {
    return path ? createHash('sha256').update(readFileSync(path)).digest('hex') : 'missing';
  } catch {
    return 'missing';
  }
}

/** Input signatures: class, widget values and, recursively, the signatures of linked nodes. */
export function computeSignatures(prompt: Graph, dirs: Dirs): Map<string, string> {
  const sigs = new Map<string, string>();
  const visiting = new Set<string>();
  const sigOf = (id: string): string => {
    const known = sigs.get(id);
    if (known !== undefined) return known;
    const node = prompt[id];
    if (!node || visiting.has(id)) return `!missing:${id}`;
    visiting.add(id);
    const inputs = isObject(node.inputs) ? node.inputs : {};
    const parts = Object.keys(inputs)
      .sort()
      .map((k): unknown[] => {
        const v = inputs[k];
        return Array.isArray(v) && v.length === 2 && typeof v[0] === 'string'
          ? [k, 'link', sigOf(v[0]), v[1]]
          : [k, v];
      });
    const classType = String(node.class_type);
    const sig = createHash('sha256')
      .update(JSON.stringify([classType, parts, changeToken(classType, inputs, dirs)]))
      .digest('hex');
    visiting.delete(id);
    sigs.set(id, sig);
    return sig;
  };
  for (const id of Object.keys(prompt)) sigOf(id);
  return sigs;
}

/** ComfyUI's "classic" cache: results keyed by signature, pruned to what the newest prompt uses. */
export class NodeCache {
  private readonly entries = new Map<string, CachedNode>();

  get(sig: string | undefined): CachedNode | undefined {
    return sig === undefined ? undefined : this.entries.get(sig);
  }

  set(sig: string, value: CachedNode): void {
    this.entries.set(sig, value);
  }

  /** Drops every entry the new prompt does not use. */
  retainOnly(sigs: Iterable<string>): void {
    const keep = new Set(sigs);
    for (const k of this.entries.keys()) if (!keep.has(k)) this.entries.delete(k);
  }

  clear(): void {
    this.entries.clear();
  }
}
