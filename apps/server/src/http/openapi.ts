import { errorResponses, operation } from './openapi-operation.ts';
import { ROUTES } from './openapi-routes.ts';
import { componentSchemas } from './openapi-schemas.ts';

const TAGS = [
  { name: 'comfy', description: 'ComfyUI: queue, text2img, status, history, streams, object_info, images.' },
  { name: 'gallery', description: 'Stored images with their provenance.' },
  { name: 'auth', description: 'Sessions, API tokens and users.' },
  { name: 'probes', description: 'Liveness, readiness and metrics for operators.' },
  { name: 'docs', description: 'This document.' },
];

/**
 * OpenAPI 3.1 description of the REST API, generated from the shared zod schemas and the
 * declarative route table in `openapi-routes.ts`.
 */
export function buildOpenApi(opts: { version?: string; serverUrl?: string } = {}): Record<string, unknown> {
  const paths = Object.fromEntries(
    Object.entries(ROUTES).map(([p, ops]) => [
      p,
      Object.fromEntries(Object.entries(ops).map(([m, spec]) => [m, operation(p, spec)])),
    ]),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'comfy-gateway REST/SSE API',
      version: opts.version ?? '0.1.0',
      description: 'A typed, authenticated gateway in front of ComfyUI servers.',
    },
    servers: [{ url: opts.serverUrl ?? '/', description: 'this gateway' }],
    tags: TAGS,
    security: [{ bearer: [] }, { cookie: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A session or API token.' },
        cookie: { type: 'apiKey', in: 'cookie', name: 'cg_session', description: 'The session cookie.' },
        metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, when set.' },
      },
      schemas: componentSchemas(),
      responses: errorResponses(),
    },
  };
}
