import type { TestApp } from '../fixture.ts';
import type { createContractChecker } from './contract-kit.ts';

export type Json = Record<string, unknown>;
export interface CallInit {
  params?: Record<string, string | number>;
  query?: Record<string, string>;
  /** Bearer token; `null` sends none. Defaults to the admin's. */
  token?: string | null;
  json?: unknown;
  body?: RequestInit['body'];
  headers?: Record<string, string>;
}
export interface CallResult {
  status: number;
  etag: string | null;
  headers: Headers;
  body: Json;
}
export type Call = (method: string, template: string, init?: CallInit) => Promise<CallResult>;

/**
 * Calls `method template` (a path as the document writes it, `{name}` filled from `params`) and
 * checks the answer against the document; the JSON body, when there is one, is returned.
 */
export function createCall(app: TestApp, checker: ReturnType<typeof createContractChecker>): Call {
  return async (method, template, init = {}) => {
    const path = template.replace(/\{(\w+)\}/g, (_, k: string) =>
      encodeURIComponent(String(init.params?.[k])),
    );
    const qs = init.query ? `?${new URLSearchParams(init.query).toString()}` : '';
    const token = init.token === undefined ? app.adminToken : init.token;
    const res = await app.request(path + qs, {
      method,
      ...(token ? { token } : {}),
      ...(init.json !== undefined ? { json: init.json } : {}),
      ...(init.body !== undefined ? { body: init.body } : {}),
      ...(init.headers ? { headers: init.headers } : {}),
    });
    const body = (await checker.check(method, template, res)) as Json;
    return { status: res.status, etag: res.headers.get('etag'), headers: res.headers, body };
  };
}

/** The `error` of an error body. */
export const errorOf = (r: CallResult) =>
  r.body['error'] as { code: string; message: string; details?: Json };
