import { loadPresets } from '@comfy-gateway/comfy-core/builder';
import type { Preset, PresetSummary } from '@comfy-gateway/schema';
import type { Logger } from 'pino';

export type { PresetSummary };

/** Presets from `config/comfy/presets` (or PRESETS_DIR); read once, reread when asked to. */
export interface PresetsService {
  list(): Promise<PresetSummary[]>;
  get(id: string): Promise<Preset | undefined>;
  ids(): Promise<string[]>;
}

export function createPresetsService(dir: string | null, logger?: Logger): PresetsService {
  let loading: Promise<Map<string, Preset>> | null = null;
  const all = () =>
    (loading ??= (async () => {
      if (!dir) return new Map<string, Preset>();
      const { presets, errors } = await loadPresets(dir);
      for (const e of errors) logger?.warn({ file: e.file }, `ignoring invalid preset: ${e.message}`);
      return presets;
    })());
  return {
    async list() {
      return [...(await all())].map(([id, p]) => ({
        id,
        name: p.name,
        description: p.description ?? null,
        defaults: p.defaults ?? {},
      }));
    },
    get: async (id) => (await all()).get(id),
    ids: async () => [...(await all()).keys()],
  };
}

/** A fixed list (tests). */
export function createStaticPresetsService(presets: Record<string, Preset> = {}): PresetsService {
  const map = new Map(Object.entries(presets));
  return {
    list: () =>
      Promise.resolve(
        [...map].map(([id, p]) => ({
          id,
          name: p.name,
          description: p.description ?? null,
          defaults: p.defaults ?? {},
        })),
      ),
    get: (id) => Promise.resolve(map.get(id)),
    ids: () => Promise.resolve([...map.keys()]),
  };
}
