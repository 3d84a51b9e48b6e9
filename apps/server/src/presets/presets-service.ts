/** What the preset picker shows; the builder's full preset stays server-side. */
export interface PresetSummary {
  name: string;
  description: string | null;
}

/** Source of presets; the lead wires it to comfy-core's `loadPresets`. */
export interface PresetsService {
  list(): Promise<PresetSummary[]>;
}

/** A fixed list (tests, and until the builder's loader is wired). */
export function createStaticPresetsService(presets: readonly PresetSummary[] = []): PresetsService {
  return { list: async () => [...presets] };
}
