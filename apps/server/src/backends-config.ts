import { comfyBackendSchema } from '@comfy-gateway/schema';
import type { ComfyBackendConfig } from '@comfy-gateway/schema';
import * as z from 'zod';
import { ConfigError } from './config-error.ts';
import type { VarSpec } from './env-vars.ts';

/** One ComfyUI server as the gateway uses it. */
export interface BackendConfig {
  name: string;
  url: string;
  weight: number;
  maxInFlight: number;
}

/** `COMFY_BACKENDS`: a JSON list of `{name?, url, weight?, max_in_flight?}`. */
export const backendsVar: VarSpec<ComfyBackendConfig[]> = {
  schema: z
    .string()
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not JSON' });
        return z.NEVER;
      }
    })
    .pipe(z.array(comfyBackendSchema).min(1).max(64)),
  expected: 'a JSON list of {"name"?, "url", "weight"?, "max_in_flight"?} (at least one)',
};

/** `host:port` of a URL (the default server name). */
const defaultName = (url: string): string => {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
};

/**
 * The servers to use: `comfy_backends` when given, else every URL of `comfy_api_url`. Names
 * default to host:port; a duplicate name or URL stops the start, naming `source`.
 */
export function resolveBackends(o: {
  apiUrl: string;
  backends: ComfyBackendConfig[] | undefined;
  source: string;
}): BackendConfig[] {
  const list: BackendConfig[] = o.backends
    ? o.backends.map((b) => ({
        name: b.name ?? defaultName(b.url),
        url: b.url.replace(/\/+$/, ''),
        weight: b.weight,
        maxInFlight: b.max_in_flight,
      }))
    : o.apiUrl
        .split(',')
        .map((u) => u.trim())
        .filter((u) => u !== '')
        .map((url) => ({ name: defaultName(url), url: url.replace(/\/+$/, ''), weight: 1, maxInFlight: 2 }));
  const names = new Set<string>();
  const urls = new Set<string>();
  for (const b of list) {
    if (names.has(b.name))
      throw new ConfigError(`${o.source}: duplicate server name ${JSON.stringify(b.name)}`);
    if (urls.has(b.url)) throw new ConfigError(`${o.source}: duplicate server URL ${JSON.stringify(b.url)}`);
    names.add(b.name);
    urls.add(b.url);
  }
  return list;
}
