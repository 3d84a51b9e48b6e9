import { rpc } from './trpc.ts';

export interface PresetSummary {
  id: string;
  name: string;
  description: string | null;
  defaults: Record<string, unknown>;
}

/** Text-to-image presets from `config/comfy/presets` (tRPC `presets.list`). */
export async function listPresets(): Promise<PresetSummary[]> {
  // Older servers send `{name, description}` only: the name is then the id, with no defaults.
  const list: readonly { name: string; description?: string | null; id?: string; defaults?: unknown }[] =
    await rpc((c) => c.presets.list.query());
  return list.map((p) => ({
    id: p.id ?? p.name,
    name: p.name,
    description: p.description ?? null,
    defaults:
      typeof p.defaults === 'object' && p.defaults !== null ? (p.defaults as Record<string, unknown>) : {},
  }));
}
