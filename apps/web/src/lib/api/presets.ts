import { callTrpc } from '@comfy-gateway/client';
import type { ComfyGatewayClient } from '@comfy-gateway/client';
import { api } from './client.ts';

export interface PresetSummary {
  id: string;
  name: string;
  description: string | null;
  defaults: Record<string, unknown>;
}

/** Text-to-image presets from `config/comfy/presets` (tRPC `presets.list`). */
export async function listPresets(client: ComfyGatewayClient = api): Promise<PresetSummary[]> {
  // Older servers send `{name, description}` only: the name is then the id, with no defaults.
  const list: readonly { name: string; description?: string | null; id?: string; defaults?: unknown }[] =
    await callTrpc(() => client.trpc.presets.list.query());
  return list.map((p) => ({
    id: p.id ?? p.name,
    name: p.name,
    description: p.description ?? null,
    defaults:
      typeof p.defaults === 'object' && p.defaults !== null ? (p.defaults as Record<string, unknown>) : {},
  }));
}
