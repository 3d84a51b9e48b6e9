import { GatewayClientError, errorFromResponse, networkError } from './errors.ts';

/** A token, or a function returning the current one (for rotating session tokens). */
export type TokenSource = string | (() => string | Promise<string>);

export interface HttpOptions {
  /** Gateway origin, e.g. `http://127.0.0.1:3000`; `''` in a browser page served by the gateway. */
  url: string;
  /** Sent as `Authorization: Bearer`; without one, the browser's session cookie authenticates. */
  token?: TokenSource | undefined;
  fetch?: typeof fetch | undefined;
  /** Sees every failed call (a 401 can send the user to a login page); the error is still thrown. */
  onError?: ((err: GatewayClientError) => void) | undefined;
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
  /** The auth headers of a call (none in cookie mode). */
  authHeaders(): Promise<Record<string, string>>;
}

/** Strips trailing slashes so paths join cleanly. */
export function trimBaseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

/** Resolves a `TokenSource` to the `Authorization` header value. */
export async function bearer(token: TokenSource): Promise<string> {
  return `Bearer ${typeof token === 'function' ? await token() : token}`;
}

/** `{ authorization }` for a token, `{}` in cookie mode. */
export async function authHeaders(token: TokenSource | undefined): Promise<Record<string, string>> {
  return token === undefined ? {} : { authorization: await bearer(token) };
}

/** `base + path` with the query; a relative base (`''`) stays relative, for same-origin pages. */
export function joinUrl(base: string, path: string, query: RequestOptions['query'] = {}): string {
  const url = new URL(base + path, 'http://relative.invalid');
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
  return url.origin === 'http://relative.invalid' ? url.pathname + url.search : url.toString();
}

/** The shared HTTP plumbing of the REST helpers: base URL, auth header, errors. */
export function createHttp(opts: HttpOptions): Http {
  const baseUrl = trimBaseUrl(opts.url);
  // Looked up per call so tests (and apps) that swap globalThis.fetch later still work.
  const doFetch = (input: string, init: RequestInit) => (opts.fetch ?? globalThis.fetch)(input, init);

  const report = <E>(err: E): E => {
    if (err instanceof GatewayClientError) opts.onError?.(err);
    return err;
  };

  async function request(method: string, path: string, ro: RequestOptions = {}): Promise<Response> {
    const url = joinUrl(baseUrl, path, ro.query);
    const headers: Record<string, string> = await authHeaders(opts.token);
    for (const [k, v] of Object.entries(ro.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
    let body = ro.body;
    if (ro.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(ro.json);
    }
    let res: Response;
    try {
      res = await doFetch(url, {
        method,
        headers,
        body: body ?? null,
        signal: ro.signal ?? null,
        credentials: 'same-origin',
      });
    } catch (err) {
      throw report(networkError(err, `${method} ${path}`));
    }
    if (!res.ok) throw report(await errorFromResponse(res));
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
    authHeaders: () => authHeaders(opts.token),
  };
}
