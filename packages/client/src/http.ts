import { errorFromResponse, networkError } from './errors.ts';

/** A token, or a function returning the current one (for rotating session tokens). */
export type TokenSource = string | (() => string | Promise<string>);

export interface HttpOptions {
  /** Gateway origin, e.g. `http://127.0.0.1:3000` (a trailing slash is fine). */
  url: string;
  token: TokenSource;
  fetch?: typeof fetch;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string | undefined>;
  /** A JSON body; `FormData`/`Blob` bodies go in `body` instead. */
  json?: unknown;
  body?: RequestInit['body'];
  signal?: AbortSignal | undefined;
}

export interface Http {
  readonly baseUrl: string;
  /** Sends a request with the Bearer header; a non-2xx answer throws `GatewayClientError`. */
  request(method: string, path: string, opts?: RequestOptions): Promise<Response>;
  /** `request` + the JSON body (undefined for 204). */
  json<T>(method: string, path: string, opts?: RequestOptions): Promise<T>;
  authorization(): Promise<string>;
}

/** Strips trailing slashes so paths join cleanly. */
export function trimBaseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

/** Resolves a `TokenSource` to the `Authorization` header value. */
export async function bearer(token: TokenSource): Promise<string> {
  return `Bearer ${typeof token === 'function' ? await token() : token}`;
}

/** The shared HTTP plumbing of the REST helpers: base URL, auth header, errors. */
export function createHttp(opts: HttpOptions): Http {
  const baseUrl = trimBaseUrl(opts.url);
  // Looked up per call so tests (and apps) that swap globalThis.fetch later still work.
  const doFetch = (input: string, init: RequestInit) => (opts.fetch ?? globalThis.fetch)(input, init);

  async function request(method: string, path: string, ro: RequestOptions = {}): Promise<Response> {
    const url = new URL(baseUrl + path);
    for (const [k, v] of Object.entries(ro.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { authorization: await bearer(opts.token) };
    for (const [k, v] of Object.entries(ro.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
    let body = ro.body;
    if (ro.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(ro.json);
    }
    let res: Response;
    try {
      res = await doFetch(url.toString(), { method, headers, body, signal: ro.signal });
    } catch (err) {
      throw networkError(err, `${method} ${url.pathname}`);
    }
    if (!res.ok) throw await errorFromResponse(res);
    return res;
  }

  return {
    baseUrl,
    request,
    async json<T>(method: string, path: string, ro?: RequestOptions): Promise<T> {
      const res = await request(method, path, ro);
      if (res.status === 204) return undefined as T;
      return (await res.json()) as T;
    },
    authorization: () => bearer(opts.token),
  };
}
