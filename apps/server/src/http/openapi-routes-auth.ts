import type { RouteSpec } from './openapi-operation.ts';

const ROW_ID = { type: 'integer', minimum: 1 };

/** `/api/auth/*`: login, sessions, your password and API tokens, and user management (admin). */
export const AUTH_ROUTES: Record<string, Partial<Record<'get' | 'post' | 'patch' | 'delete', RouteSpec>>> = {
  '/api/auth/login': {
    post: {
      operationId: 'login',
      summary: 'Log in; returns a token and sets the session cookie',
      tag: 'auth',
      access: 'public',
      body: 'LoginRequest',
      ok: { 200: { description: 'logged in', body: 'LoginResponse' } },
      // 503 REDIS_UNAVAILABLE: with REDIS_URL, the login limits cannot be checked.
      errors: [401, 403, 429, 503],
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
  '/api/auth/password': {
    post: {
      operationId: 'changePassword',
      summary: 'Change your own password',
      description:
        'A wrong current password is 400 naming `current_password`, a weak new one 400 naming ' +
        '`new_password`. Revokes every other session and every API token of the user.',
      tag: 'auth',
      body: 'ChangePasswordRequest',
      ok: { 204: { description: 'changed', body: 'empty' } },
      // The current password is checked through the same hashing gate as logins.
      errors: [429],
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
      description:
        'Scopes `read`, `generate` and `admin` (admins only); default `read` + `generate`, never more ' +
        'than the creating credential has.',
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
      summary: 'Activate, deactivate, change role, password or job cap (admin)',
      description:
        '`max_active_jobs` caps the user\u2019s unfinished jobs (null: the server default). ' +
        'Deactivation and a new password revoke all the user\u2019s sessions and API tokens.',
      tag: 'auth',
      access: 'admin',
      path: { id: ROW_ID },
      body: 'PatchUserRequest',
      ok: { 200: { description: 'updated', body: 'User' } },
      errors: [404, 409],
    },
  },
  '/api/auth/users/{id}/tokens': {
    get: {
      operationId: 'listUserApiTokens',
      summary: 'A user\u2019s API tokens (admin)',
      tag: 'auth',
      access: 'admin',
      path: { id: ROW_ID },
      ok: { 200: { description: 'the tokens (without their secrets)', body: 'ApiTokenList' } },
      errors: [400, 404],
    },
  },
  '/api/auth/users/{id}/tokens/{token_id}': {
    delete: {
      operationId: 'revokeUserApiToken',
      summary: 'Revoke any user\u2019s API token (admin)',
      description: 'A token that belongs to another user than `id` is 404.',
      tag: 'auth',
      access: 'admin',
      path: { id: ROW_ID, token_id: ROW_ID },
      ok: { 204: { description: 'revoked', body: 'empty' } },
      errors: [400, 404],
    },
  },
};
