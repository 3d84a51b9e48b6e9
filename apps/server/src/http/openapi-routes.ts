import type { RouteSpec } from './openapi-operation.ts';
import { IF_NONE_MATCH } from './openapi-operation.ts';
import { AUTH_ROUTES } from './openapi-routes-auth.ts';
import { COMFY_ROUTES } from './openapi-routes-comfy.ts';

const GALLERY_ID = { type: 'string', pattern: '^[0-9a-f]{16}$' };

/** Every REST route, by path and method. A new route is one entry here. */
export const ROUTES: Record<string, Partial<Record<'get' | 'post' | 'patch' | 'delete', RouteSpec>>> = {
  '/healthz': {
    get: {
      operationId: 'getLiveness',
      summary: 'Liveness: the process is up',
      tag: 'probes',
      access: 'public',
      ok: { 200: { description: 'alive', body: 'Liveness' } },
    },
  },
  '/readyz': {
    get: {
      operationId: 'getReadiness',
      summary: 'Readiness: every check passes and the server is not shutting down',
      tag: 'probes',
      access: 'public',
      ok: {
        200: { description: 'ready', body: 'Readiness' },
        503: { description: 'not ready (see the failing checks)', body: 'Readiness' },
      },
    },
  },
  '/metrics': {
    get: {
      operationId: 'getMetrics',
      summary: 'Prometheus metrics (needs the metrics token when one is configured)',
      tag: 'probes',
      access: 'metrics',
      ok: { 200: { description: 'Prometheus text format', body: 'text' } },
    },
  },
  ...COMFY_ROUTES,
  '/api/openapi.json': {
    get: {
      operationId: 'getOpenApi',
      summary: 'This OpenAPI document',
      tag: 'docs',
      access: 'public',
      ok: { 200: { description: 'OpenAPI 3.1', body: 'document' } },
    },
  },
  ...AUTH_ROUTES,
  '/api/gallery': {
    get: {
      operationId: 'listGallery',
      summary: 'Gallery, newest first, cursor paged',
      description: 'Your own items; admins see every owner\u2019s unless they pass `user`.',
      tag: 'gallery',
      query: [
        {
          name: 'cursor',
          description: '`next_cursor` of the previous page.',
          schema: { type: 'string', maxLength: 200 },
        },
        {
          name: 'limit',
          description: 'Page size.',
          schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
        },
        {
          name: 'user',
          description:
            'Whose items: a user id or `all`. Only admins may name anyone but themselves (else 403).',
          schema: {
            anyOf: [
              { type: 'integer', minimum: 1 },
              { type: 'string', enum: ['all'] },
            ],
          },
        },
      ],
      ok: { 200: { description: 'one page', body: 'GalleryList' } },
      errors: [400],
    },
  },
  '/api/gallery/{id}': {
    get: {
      operationId: 'getGalleryItem',
      summary: 'One gallery item with its provenance sidecar',
      description: 'Someone else\u2019s item is 404, like an unknown id (admins see all).',
      tag: 'gallery',
      path: { id: GALLERY_ID },
      ok: { 200: { description: 'the item', body: 'GalleryDetail' } },
      errors: [400, 404],
    },
    delete: {
      operationId: 'deleteGalleryItem',
      summary: 'Delete an item, its file and sidecar',
      tag: 'gallery',
      path: { id: GALLERY_ID },
      ok: { 204: { description: 'deleted', body: 'empty' } },
      errors: [400, 404],
    },
  },
  '/api/gallery/{id}/file': {
    get: {
      operationId: 'getGalleryFile',
      summary: 'The image file (immutable, ETag)',
      tag: 'gallery',
      path: { id: GALLERY_ID },
      headers: [IF_NONE_MATCH],
      ok: {
        200: { description: 'the image', body: 'image' },
        304: { description: 'unchanged since the given ETag', body: 'empty' },
      },
      errors: [400, 404],
    },
  },
};
