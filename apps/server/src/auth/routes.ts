import {
  changePasswordInputSchema,
  createApiTokenInputSchema,
  createUserInputSchema,
  loginInputSchema,
  patchUserInputSchema,
} from '@comfy-gateway/schema';
import express, { Router } from 'express';
import type { Request } from 'express';
import * as z from 'zod';
import { parseOrThrow } from '../errors.ts';
import type { AuthService } from './auth-service.ts';
import { clearedSessionCookie, extractCredentials, sessionCookie } from './credentials.ts';
import { currentAuth, currentUser, requireAdmin, requireUser } from './middleware.ts';

const idParam = z.object({ id: z.coerce.number().int().positive() });
const userTokenParams = z.object({
  id: z.coerce.number().int().positive(),
  token_id: z.coerce.number().int().positive(),
});

/** Auth bodies are a few fields; login is public, so nothing large is ever parsed here. */
export const AUTH_BODY_LIMIT = '8kb';

/** `/api/auth/*`: login (public), logout, me, password, API tokens, and user management (admin). */
export function authRoutes(auth: AuthService): Router {
  const r = Router();
  const authed = requireUser(auth);
  const secure = (req: Request) => req.secure;
  r.use(express.json({ limit: AUTH_BODY_LIMIT }));

  r.post('/login', async (req, res) => {
    const input = parseOrThrow(loginInputSchema, req.body);
    const out = await auth.login(input.email, input.password, { clientIp: req.ip });
    const maxAgeS = (out.expires_at - Date.now()) / 1000;
    res.setHeader('Set-Cookie', sessionCookie(out.token, { maxAgeS, secure: secure(req) }));
    res.setHeader('Cache-Control', 'no-store');
    res.json(out);
  });

  r.post('/logout', authed, async (req, res) => {
    const creds = extractCredentials(req);
    if (creds) await auth.logout(creds.token);
    res.setHeader('Set-Cookie', clearedSessionCookie(secure(req)));
    res.status(204).end();
  });

  r.get('/me', authed, (req, res) => {
    res.json(currentUser(req));
  });

  r.post('/password', authed, async (req, res) => {
    const input = parseOrThrow(changePasswordInputSchema, req.body);
    const cred = currentAuth(req);
    await auth.changePassword(cred.user.id, input, cred.kind === 'session' ? cred.credential : undefined);
    res.status(204).end();
  });

  r.get('/tokens', authed, async (req, res) => {
    res.json({ items: await auth.listTokens(currentUser(req).id) });
  });
  r.post('/tokens', authed, async (req, res) => {
    const input = parseOrThrow(createApiTokenInputSchema, req.body);
    const cred = currentAuth(req);
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json(await auth.createToken(cred.user, input, cred.scopes));
  });
  r.delete('/tokens/:id', authed, async (req, res) => {
    await auth.revokeToken(currentUser(req).id, parseOrThrow(idParam, req.params).id);
    res.status(204).end();
  });

  const admin = [authed, requireAdmin()];
  r.get('/users', ...admin, async (_req, res) => {
    res.json({ items: await auth.listUsers() });
  });
  r.post('/users', ...admin, async (req, res) => {
    res.status(201).json(await auth.createUser(parseOrThrow(createUserInputSchema, req.body)));
  });
  r.patch('/users/:id', ...admin, async (req, res) => {
    const { id } = parseOrThrow(idParam, req.params);
    const cred = currentAuth(req);
    const keep = cred.kind === 'session' ? cred.credential : undefined;
    res.json(await auth.updateUser(id, parseOrThrow(patchUserInputSchema, req.body), cred.user.id, keep));
  });
  r.get('/users/:id/tokens', ...admin, async (req, res) => {
    const { id } = parseOrThrow(idParam, req.params);
    await auth.requireUserExists(id);
    res.json({ items: await auth.listTokens(id) });
  });
  r.delete('/users/:id/tokens/:token_id', ...admin, async (req, res) => {
    const { id, token_id } = parseOrThrow(userTokenParams, req.params);
    await auth.revokeToken(id, token_id);
    res.status(204).end();
  });
  return r;
}
