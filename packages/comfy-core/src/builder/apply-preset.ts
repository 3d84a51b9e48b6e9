import type { Preset } from '@comfy-gateway/schema';

/**
 * Fills what the caller left out with the preset's defaults. Runs before schema parsing, so the
 * schema's own defaults never hide a preset's.
 */
export function applyPresetDefaults(input: Record<string, unknown>, preset: Preset): Record<string, unknown> {
  const out: Record<string, unknown> = { ...input };
  for (const [key, value] of Object.entries(preset.defaults ?? {})) {
    if (out[key] === undefined) out[key] = value;
  }
  return out;
}
