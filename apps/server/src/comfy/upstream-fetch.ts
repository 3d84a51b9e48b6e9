import type { Logger } from 'pino';
import { currentRequestId } from '../http/request-context.ts';

/**
 * The fetch handed to the ComfyUI client: adds the current request's `X-Request-Id` and logs each
 * upstream call at debug. Resolves `globalThis.fetch` per call so tests can observe it. Timers the
 * tracker arms while serving a request inherit that request's id, so background polls may carry it.
 */
export function createUpstreamFetch(log: Logger): typeof globalThis.fetch {
  return async (input, init) => {
    const requestId = currentRequestId();
    const headers = new Headers(init?.headers);
    if (requestId !== undefined) headers.set('X-Request-Id', requestId);
    const start = performance.now();
    const method = init?.method ?? 'GET';
    const url = input instanceof Request ? input.url : String(input);
    try {
      const res = await globalThis.fetch(input, { ...init, headers });
      log.debug(
        { reqId: requestId, method, url, status: res.status, ms: performance.now() - start },
        'upstream call',
      );
      return res;
    } catch (err) {
      log.debug(
        { reqId: requestId, method, url, err, ms: performance.now() - start },
        'upstream call failed',
      );
      throw err;
    }
  };
}
