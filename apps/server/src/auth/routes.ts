import {
  createApiTokenInputSchema,
  createUserInputSchema,
  loginInputSchema,
  patchUserInputSchema,
} from '@comfy-gateway/schema';
import { Router } from 'express';
import type { Request } from 'express';
import * as z from 'zod';
import { parseOrThrow } from '../errors.ts';
import type { AuthService } from './auth-service.ts';
import { clearedSessionCookie, extractCredentials, sessionCookie } from './credentials.ts';
import { currentUser, requireAdmin, requireUser } from './middleware.ts';

const idParam = z.object({ id: z.coerce.number().int().positive() });

/** `/api/auth/*`: login (public), logout, me, API tokens, and user management (admin). */
export function authRoutes(auth: AuthService): Router {
  const r = Router();
  const authed = requireUser(auth);
  const secure = (req: Request) => req.secure;

  r.post('/login', async (req, res) => {
    const input = parseOrThrow(loginInputSchema, req.body);
    const out = await auth.login(input.email, input.password, { clientIp: req.ip });
    const maxAgeS = (out.expires_at - Date.now()) / 1000;
    res.setHeader('Set-Cookie', sessionCookie(out.token, { maxAgeS, secure: secure(req) }));
    res.setHeader('Cache-Control', 'no-store');
    res.json(out);
  });

  r.post('/logout', authed, (req, res) => {
    const creds = extractCredentials(req);
    if (creds) auth.logout(creds.token);
    res.setHeader('Set-Cookie', clearedSessionCookie(secure(req)));
    res.status(204).end();
  });

  r.get('/me', authed, (req, res) => {
    res.json(currentUser(req));
  });

  r.get('/tokens', authed, (req, res) => {
    res.json({ items: auth.listTokens(currentUser(req).id) });
  });
  r.post('/tokens', authed, (req, res) => {
    const input = parseOrThrow(createApiTokenInputSchema, req.body);
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json(auth.createToken(currentUser(req).id, input));
  });
  r.delete('/tokens/:id', authed, (req, res) => {
    auth.revokeToken(currentUser(req).id, parseOrThrow(idParam, req.params).id);
    res.status(204).end();
  });

  const admin = [authed, requireAdmin()];
  r.get('/users', ...admin, (_req, res) => {
    res.json({ items: auth.listUsers() });
  });
  r.post('/users', ...admin, async (req, res) => {
    res.status(201).json(await auth.createUser(parseOrThrow(createUserInputSchema, req.body)));
  });
  r.patch('/users/:id', ...admin, async (req, res) => {
    const { id } = parseOrThrow(idParam, req.params);
    res.json(await auth.updateUser(id, parseOrThrow(patchUserInputSchema, req.body), currentUser(req).id));
  });
  return r;
}
