import type { ErrorCode, FieldErrors, TokenScope, User } from '@comfy-gateway/schema';
import {
  ERROR_HTTP_STATUS,
  assertScope,
  effectiveScopes,
  isGatewayError,
  isZodError,
  redactUpstream,
  requiredScope,
  toFieldErrors,
  validationError,
} from '@comfy-gateway/schema';
import { TRPCError, initTRPC } from '@trpc/server';
import type { Context } from './context.ts';
import { ERROR_TRPC_CODE, gatewayCodeOf, rpcCodeOf } from './error-codes.ts';
import { transformer } from './serialize-once.ts';

const t = initTRPC.context<Context>().create({
  // superjson on the wire; events shared by many subscribers are serialised once (serialize-once.ts).
  transformer,
  sse: { ping: { enabled: true, intervalMs: 15_000 }, client: { reconnectAfterInactivityMs: 30_000 } },
  // Same table as the REST error handler: `data.code` is the gateway code, `data.fields` the form
  // errors; a domain error also sets the JSON-RPC code and `httpStatus` (a subscription's error is
  // never seen by `mapGatewayErrors`, and -32603 would make the SSE link retry forever).
  errorFormatter({ shape, error, ctx }) {
    const cause = error.cause;
    let code: ErrorCode = gatewayCodeOf(error.code);
    let message = shape.message;
    let fields: FieldErrors | null = null;
    let details: unknown;
    const domain = isGatewayError(cause);
    if (domain) {
      code = cause.code;
      details = cause.details;
      const f = (cause.details as { fields?: FieldErrors } | undefined)?.fields;
      if (f) fields = f;
    } else if (isZodError(cause)) {
      code = 'VALIDATION_ERROR';
      fields = toFieldErrors(cause.issues);
      message = validationError(cause.issues).message;
    }
    if (code === 'INTERNAL') message = 'internal error';
    // Upstream URL and bodies for admins only, as on REST.
    ({ message, details } = redactUpstream({ code, message, details }, ctx?.user));
    const { stack: _stack, ...data } = shape.data;
    const extra = details !== undefined && code !== 'INTERNAL' ? { details } : {};
    const status = domain ? { httpStatus: ERROR_HTTP_STATUS[code] } : {};
    return {
      ...shape,
      ...(domain ? { code: rpcCodeOf(code) } : {}),
      message,
      data: { ...data, ...status, code, fields, ...extra },
    };
  },
});

/** Turns a `GatewayError` thrown below into a TRPCError with the table's code (and HTTP status). */
const mapGatewayErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && isGatewayError(result.error.cause)) {
    const g = result.error.cause;
    throw new TRPCError({ code: ERROR_TRPC_CODE[g.code], message: g.message, cause: g });
  }
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Anyone may call it (only `auth.login`). */
export const publicProcedure = t.procedure.use(mapGatewayErrors);

/** What the caller is now: the context's token re-checked (a WebSocket context outlives revocations). */
async function resolveCaller(
  ctx: Context,
): Promise<{ user: User; scopes: TokenScope[]; session: string | null }> {
  if (ctx.refused) throw ctx.refused;
  if (!ctx.user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'authentication required' });
  if (ctx.token === null) {
    // A pure context (server-side caller, tests): the user as stored, with the scopes it was given.
    const user = await ctx.services.auth.getUser(ctx.user.id);
    if (!user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'invalid or expired token' });
    return { user, scopes: effectiveScopes(user.role, ctx.scopes), session: null };
  }
  const found = await ctx.services.auth.authenticateCredential(ctx.token);
  if (!found) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'invalid or expired token' });
  // The session hash lets a password change keep the session that made it.
  const session = found.kind === 'session' ? found.credential : null;
  return { user: found.user, scopes: found.scopes, session };
}

/**
 * An active user may call it, with the scope its type needs: queries and subscriptions `read`,
 * mutations `generate` (see `requiredScope`). The credential is re-checked on every call, since a
 * WebSocket context lives as long as the socket and the credential may be revoked meanwhile.
 */
export const authedProcedure = publicProcedure.use(async ({ ctx, type, next }) => {
  const caller = await resolveCaller(ctx);
  if (!caller.user.active) throw new TRPCError({ code: 'FORBIDDEN', message: 'account is deactivated' });
  // A GatewayError: `mapGatewayErrors` above turns it into FORBIDDEN with the message naming the scope.
  assertScope(caller.scopes, requiredScope({ type }));
  return next({ ctx: { user: caller.user, scopes: caller.scopes, session: caller.session } });
});

/** An active admin whose credential has the `admin` scope may call it (user management). */
export const adminProcedure = authedProcedure.use(({ ctx, next }) => {
  if (ctx.user.role !== 'admin') throw new TRPCError({ code: 'FORBIDDEN', message: 'admin role required' });
  assertScope(ctx.scopes, 'admin');
  return next();
});
