import { AsyncLocalStorage } from 'node:async_hooks';

/** What follows a request into the calls it makes upstream (the id for logs and X-Request-Id). */
export interface RequestContext {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` (and every async continuation it starts) inside the request's context. */
export function runWithRequestContext<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** The id of the request being served, or undefined outside one (background polling). */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}
