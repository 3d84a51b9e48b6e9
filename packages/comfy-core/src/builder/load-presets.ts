import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { presetSchema } from '@comfy-gateway/schema';
import type { Preset } from '@comfy-gateway/schema';
import type * as z from 'zod';

/** A preset file that could not be used; `issues` holds zod's findings when the JSON parsed. */
export interface PresetLoadError {
  file: string;
  message: string;
  issues?: z.core.$ZodIssue[];
}

/** What `loadPresets` found: usable presets by id, and the files it skipped. */
export interface LoadedPresets {
  presets: Map<string, Preset>;
  /** Files that could not be used, with why; the others still load. */
  errors: PresetLoadError[];
}

/** Reads every `*.json` in `dir`; a preset's id is its file name without `.json`. */
export async function loadPresets(dir: string): Promise<LoadedPresets> {
  const presets = new Map<string, Preset>();
  const errors: LoadedPresets['errors'] = [];
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort();
  for (const file of files) {
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(path.join(dir, file), 'utf8'));
    } catch (err) {
      errors.push({ file, message: `not valid JSON (${err instanceof Error ? err.message : String(err)})` });
      continue;
    }
    const parsed = presetSchema.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues;
      const message = issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      errors.push({ file, message, issues });
      continue;
    }
    presets.set(file.slice(0, -'.json'.length), parsed.data);
  }
  return { presets, errors };
}
