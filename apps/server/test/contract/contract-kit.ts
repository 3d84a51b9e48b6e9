import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { expect } from 'vitest';

// ajv-formats is CommonJS; under ESM its function sits on `default`.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

type Json = Record<string, unknown>;
type Operation = { responses: Record<string, Json> };
const DOC_ID = 'https://comfy-gateway.invalid/openapi.json';

const pointer = (...parts: string[]) =>
  parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/**
 * Checks real responses against an OpenAPI document: the status must be declared for the
 * operation, its required headers present (and matching their pattern), the media type one it
 * lists, and a JSON body must match its schema (ajv).
 * Records what it saw, so a test can require every operation to have been called.
 */
export function createContractChecker(doc: Json) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(doc, DOC_ID);
  const paths = doc['paths'] as Record<string, Record<string, Operation>>;
  const validators = new Map<string, ValidateFunction>();
  const seen = new Map<string, Set<number>>();

  /** A response object, following one `$ref` into `components.responses`. */
  function responseAt(path: string, method: string, status: number): { json: Json; ptr: string } | null {
    const op = paths[path]?.[method];
    if (!op) throw new Error(`${method.toUpperCase()} ${path} is not in the document`);
    const res = op.responses[String(status)];
    if (!res) return null;
    const refd = res['$ref'];
    if (typeof refd === 'string') {
      const name = refd.split('/').at(-1) ?? '';
      const components = (doc['components'] as { responses: Record<string, Json> }).responses;
      return { json: components[name] ?? {}, ptr: `#/${pointer('components', 'responses', name)}` };
    }
    return { json: res, ptr: `#/${pointer('paths', path, method, 'responses', String(status))}` };
  }

  function validatorFor(ptr: string, media: string): ValidateFunction {
    const key = `${ptr}|${media}`;
    let v = validators.get(key);
    if (!v) {
      v = ajv.compile({ $ref: `${DOC_ID}${ptr}/${pointer('content', media, 'schema')}` });
      validators.set(key, v);
    }
    return v;
  }

  return {
    /** Checks one response of `method path` (path as in the document, e.g. `/api/gallery/{id}`). */
    async check(method: string, path: string, res: Response): Promise<unknown> {
      const m = method.toLowerCase();
      const label = `${method.toUpperCase()} ${path} -> ${res.status}`;
      const found = responseAt(path, m, res.status);
      expect(found, `${label}: status not declared in the document`).not.toBeNull();
      if (!found) return undefined;
      (seen.get(`${m} ${path}`) ?? seen.set(`${m} ${path}`, new Set()).get(`${m} ${path}`))?.add(res.status);
      const headers = (found.json['headers'] ?? {}) as Record<string, { required?: boolean; schema?: Json }>;
      for (const [name, h] of Object.entries(headers)) {
        const value = res.headers.get(name);
        if (h.required) expect(value, `${label}: required header ${name} missing`).not.toBeNull();
        const pattern = h.schema?.['pattern'];
        if (value !== null && typeof pattern === 'string')
          expect(value, `${label}: header ${name} does not match ${pattern}`).toMatch(new RegExp(pattern));
      }
      const content = found.json['content'] as Record<string, unknown> | undefined;
      const media = (res.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
      if (!content) {
        const text = await res.text();
        expect(text, `${label}: the document declares no body`).toBe('');
        return undefined;
      }
      expect(Object.keys(content), `${label}: undeclared media type ${media}`).toContain(media);
      if (media !== 'application/json') {
        await res.arrayBuffer();
        return undefined;
      }
      const body: unknown = await res.json();
      const validate = validatorFor(found.ptr, media);
      const ok = validate(body);
      expect(ok ? [] : validate.errors, `${label}: body does not match ${found.ptr}`).toEqual([]);
      return body;
    },
    /** Operations never called, and operations that never answered with a success. */
    gaps(): { uncalled: string[]; neverSucceeded: string[] } {
      const all = Object.entries(paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
      return {
        uncalled: all.filter((k) => !seen.has(k)),
        neverSucceeded: all.filter((k) => ![...(seen.get(k) ?? [])].some((s) => s < 400)),
      };
    },
  };
}
