import type { RouteSpec } from './openapi-operation.ts';
import { IF_NONE_MATCH } from './openapi-operation.ts';
import { COMFY_ROUTES } from './openapi-routes-comfy.ts';

const GALLERY_ID = { type: 'string', pattern: '^[0-9a-f]{16}$' };
const ROW_ID = { type: 'integer', minimum: 1 };

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
  '/api/auth/login': {
    post: {
      operationId: 'login',
      summary: 'Log in; returns a token and sets the session cookie',
      tag: 'auth',
      access: 'public',
      body: 'LoginRequest',
      ok: { 200: { description: 'logged in', body: 'LoginResponse' } },
      errors: [401, 403, 429],
    },
  },
  '/api/auth/logout': {
    post: {
      operationId: 'logout',
      summary: 'End the session',
      tag: 'auth',
      ok: { 204: { description: 'logged out', body: 'empty' } },
    },
  },
  '/api/auth/me': {
    get: {
      operationId: 'getMe',
      summary: 'The current user',
      tag: 'auth',
      ok: { 200: { description: 'the user', body: 'User' } },
    },
  },
  '/api/auth/tokens': {
    get: {
      operationId: 'listApiTokens',
      summary: 'Your API tokens',
      tag: 'auth',
      ok: { 200: { description: 'the tokens (without their secrets)', body: 'ApiTokenList' } },
    },
    post: {
      operationId: 'createApiToken',
      summary: 'Create an API token (its secret is shown once)',
      tag: 'auth',
      body: 'CreateApiTokenRequest',
      ok: { 201: { description: 'created', body: 'CreatedApiToken' } },
    },
  },
  '/api/auth/tokens/{id}': {
    delete: {
      operationId: 'revokeApiToken',
      summary: 'Revoke an API token',
      tag: 'auth',
      path: { id: ROW_ID },
      ok: { 204: { description: 'revoked', body: 'empty' } },
      errors: [400, 404],
    },
  },
  '/api/auth/users': {
    get: {
      operationId: 'listUsers',
      summary: 'Users (admin)',
      tag: 'auth',
      access: 'admin',
      ok: { 200: { description: 'every user', body: 'UserList' } },
    },
    post: {
      operationId: 'createUser',
      summary: 'Create a user (admin)',
      tag: 'auth',
      access: 'admin',
      body: 'CreateUserRequest',
      ok: { 201: { description: 'created', body: 'User' } },
      errors: [409],
    },
  },
  '/api/auth/users/{id}': {
    patch: {
      operationId: 'updateUser',
      summary: 'Activate, deactivate, change role or password (admin)',
      tag: 'auth',
      access: 'admin',
      path: { id: ROW_ID },
      body: 'PatchUserRequest',
      ok: { 200: { description: 'updated', body: 'User' } },
      errors: [404, 409],
    },
  },
  '/api/gallery': {
    get: {
      operationId: 'listGallery',
      summary: 'Gallery, newest first, cursor paged',
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
      ],
      ok: { 200: { description: 'one page', body: 'GalleryList' } },
      errors: [400],
    },
  },
  '/api/gallery/{id}': {
    get: {
      operationId: 'getGalleryItem',
      summary: 'One gallery item with its provenance sidecar',
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
