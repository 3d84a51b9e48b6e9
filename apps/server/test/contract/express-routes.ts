import type { Express } from 'express';

interface Layer {
  rawPath?: unknown;
  slash?: boolean;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/**
 * Every route an Express 5 app registers, as `method /path/{param}` (OpenAPI's spelling), found by
 * walking the router stack: mounted routers add their mount path (`rawPath`) in front.
 */
export function expressRoutes(app: Express): string[] {
  const root = (app as unknown as { router: { stack: Layer[] } }).router;
  const out = new Set<string>();
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const full = toOpenApi(prefix + String(layer.route.path));
        for (const [m, on] of Object.entries(layer.route.methods))
          if (on && m !== '_all') out.add(`${m} ${full}`);
      } else if (layer.handle?.stack) {
        const mount = layer.slash || typeof layer.rawPath !== 'string' ? '' : layer.rawPath;
        walk(layer.handle.stack, prefix + mount);
      }
    }
  };
  walk(root.stack, '');
  return [...out].sort();
}

/** `/a/:id/` -> `/a/{id}`. */
const toOpenApi = (p: string) => p.replace(/:(\w+)/g, '{$1}').replace(/(.)\/$/, '$1') || '/';
