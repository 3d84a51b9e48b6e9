import type { InputSpec, NodeDef } from './types.ts';

/** `["INT", {...}]` with keys in ComfyUI's usual order. */
export const int = (
  def: number,
  min: number,
  max: number,
  extra: Record<string, unknown> = {},
): InputSpec => ['INT', { default: def, min, max, ...extra }];
export const float = (
  def: number,
  min: number,
  max: number,
  extra: Record<string, unknown> = {},
): InputSpec => ['FLOAT', { default: def, min, max, ...extra }];
export const link = (type: string): InputSpec => [type];
export const combo = (options: readonly string[], config?: Record<string, unknown>): InputSpec =>
  config ? [[...options], config] : [[...options]];
/** V3 combo: type "COMBO" with the options in the config. */
export const v3combo = (options: readonly string[]): InputSpec => [
  'COMBO',
  { options: [...options], multiselect: false },
];

type Base = Omit<NodeDef, 'displayName' | 'description' | 'outputNode' | 'v3'> &
  Partial<Pick<NodeDef, 'displayName' | 'description' | 'outputNode' | 'v3'>>;

/** Fills the fields most nodes leave at their defaults. */
export function node(def: Base): NodeDef {
  return {
    displayName: def.name,
    description: '',
    outputNode: false,
    v3: false,
    ...def,
  };
}
