import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, it } from 'vitest';
import { buildOpenApi } from '../src/http/openapi.ts';

/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument -- walks the document as untyped JSON */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const doc = buildOpenApi() as Json;
const operations = Object.entries(doc['paths'] as Json).flatMap(([p, ops]) =>
  Object.entries(ops as Json).map(([m, op]) => ({ key: `${m.toUpperCase()} ${p}`, op: op as Json })),
);
const op = (p: string, m: string): Json => (doc['paths'] as Json)[p][m];
const param = (o: Json, name: string): Json | undefined =>
  (o['parameters'] as Json[] | undefined)?.find((x) => x['name'] === name);

/** Runs the Redocly CLI on a file; its JSON report (it exits 1 when there are errors). */
async function redoclyLint(file: string): Promise<Json> {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve('@redocly/cli/package.json');
  const { bin } = JSON.parse(await readFile(pkgPath, 'utf8')) as { bin: Record<string, string> };
  const cli = path.join(path.dirname(pkgPath), bin['redocly'] ?? 'bin/cli.js');
  const args = [cli, 'lint', file, '--extends=recommended', '--format=json'];
  const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };
  const out = await promisify(execFile)(process.execPath, args, { env, maxBuffer: 16 << 20 }).catch(
    (err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }),
  );
  return JSON.parse(out.stdout) as Json;
}

describe('the OpenAPI document', () => {
  it('is valid for swagger-parser and has zero errors under redocly lint (recommended)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cg-openapi-'));
    try {
      const file = path.join(dir, 'openapi.json');
      await writeFile(file, JSON.stringify(doc, null, 2));
      await expect(SwaggerParser.validate(file)).resolves.toBeDefined();
      const report = await redoclyLint(file);
      const errors = (report['problems'] as Json[]).filter((p) => p['severity'] === 'error');
      expect(errors.map((p) => `${p['ruleId']}: ${p['message']}`)).toEqual([]);
      expect(report['totals']).toMatchObject({ errors: 0 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('names a server, and gives every operation a unique operationId', () => {
    expect(doc['servers']).toEqual([expect.objectContaining({ url: '/' })]);
    const ids = operations.map(({ op }) => op['operationId'] as string);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('uses named schemas by $ref, lists as {items} objects, integer ids as integers', () => {
    const schemas = doc['components']['schemas'] as Json;
    expect(Object.keys(schemas)).toEqual(
      expect.arrayContaining(['JobSnapshot', 'Text2ImgRequest', 'GalleryList', 'UserList', 'ErrorBody']),
    );
    const okSchema = (p: string, m: string, s = '200') =>
      op(p, m)['responses'][s]['content']['application/json']['schema'];
    expect(okSchema('/api/comfy/status/{prompt_id}', 'get')).toEqual({
      $ref: '#/components/schemas/JobSnapshot',
    });
    expect(okSchema('/api/auth/users', 'get')).toEqual({ $ref: '#/components/schemas/UserList' });
    expect(okSchema('/api/auth/tokens', 'get')).toEqual({ $ref: '#/components/schemas/ApiTokenList' });
    expect(okSchema('/api/comfy/jobs', 'get')).toEqual({ $ref: '#/components/schemas/JobList' });
    expect(okSchema('/api/comfy/jobs/{prompt_id}', 'get')).toEqual({
      $ref: '#/components/schemas/JobRecord',
    });
    expect(okSchema('/api/auth/users/{id}/tokens', 'get')).toEqual({
      $ref: '#/components/schemas/ApiTokenList',
    });
    expect(schemas['JobList']['properties']['items']['items']).toEqual({
      $ref: '#/components/schemas/JobSummary',
    });
    expect(schemas['ApiToken']['required']).toContain('scopes');
    // Fields only admins get are optional.
    expect(schemas['QueueItem']['required']).toEqual(['position', 'ours', 'mine']);
    expect(schemas['Health']['properties']['service']['required']).not.toContain('base_url');
    expect(schemas['UserList']['properties']['items']).toEqual({
      type: 'array',
      items: { $ref: '#/components/schemas/User' },
    });
    expect(schemas['User']['properties']['id']).toEqual({ type: 'integer' });
    expect(param(op('/api/auth/users/{id}', 'patch'), 'id')?.['schema']).toMatchObject({ type: 'integer' });
    expect(param(op('/api/auth/tokens/{id}', 'delete'), 'id')?.['schema']).toMatchObject({ type: 'integer' });
  });

  it('declares the statuses the server really sends', () => {
    const statuses = (p: string, m: string) => Object.keys(op(p, m)['responses']);
    expect(statuses('/api/comfy/object-info', 'get')).toContain('304');
    expect(statuses('/api/comfy/object-info/{node_class}', 'get')).toContain('304');
    expect(statuses('/api/gallery/{id}/file', 'get')).toContain('304');
    expect(statuses('/api/comfy/ingest', 'post')).toEqual(expect.arrayContaining(['200', '201', '415']));
    expect(statuses('/api/auth/login', 'post')).toEqual(expect.arrayContaining(['401', '403', '429']));
    expect(statuses('/api/comfy/queue', 'post')).toEqual(expect.arrayContaining(['409', '429', '503']));
    expect(statuses('/api/comfy/view', 'get')).toEqual(expect.arrayContaining(['400', '404', '429']));
    expect(statuses('/api/comfy/text2img', 'post')).toEqual(expect.arrayContaining(['403', '429']));
    expect(statuses('/api/comfy/stream/{prompt_id}', 'get')).toEqual(
      expect.arrayContaining(['200', '204', '404', '429']),
    );
    expect(statuses('/api/comfy/jobs', 'get')).toEqual(expect.arrayContaining(['200', '400', '401', '403']));
    expect(statuses('/api/comfy/jobs/{prompt_id}', 'get')).toEqual(expect.arrayContaining(['200', '404']));
    expect(statuses('/api/auth/password', 'post')).toEqual(expect.arrayContaining(['204', '400']));
    expect(statuses('/api/auth/users/{id}/tokens/{token_id}', 'delete')).toEqual(
      expect.arrayContaining(['204', '400', '403', '404']),
    );
    // Every 429 says when to come back.
    expect(doc['components']['responses']['Error429']['headers']['Retry-After']).toMatchObject({
      required: true,
    });
    // A route that checks a credential needs the database: 503 DATABASE_UNAVAILABLE, maybe Retry-After.
    expect(statuses('/api/auth/me', 'get')).toContain('503');
    expect(statuses('/api/gallery', 'get')).toContain('503');
    const e503 = doc['components']['responses']['Error503'];
    expect(JSON.stringify(e503['content'])).toContain('DATABASE_UNAVAILABLE');
    expect(e503['headers']['Retry-After']).toMatchObject({ required: false });
    // Every error response narrows the body's code to the codes with that status.
    const e404 = doc['components']['responses']['Error404']['content']['application/json']['schema'];
    expect(JSON.stringify(e404)).toContain('"enum":["NOT_FOUND"]');
  });

  it('declares the Idempotency-Key header, required query parameters and enums', () => {
    for (const p of ['/api/comfy/queue', '/api/comfy/text2img'])
      expect(param(op(p, 'post'), 'Idempotency-Key')).toMatchObject({ in: 'header', required: false });
    const view = op('/api/comfy/view', 'get');
    expect(param(view, 'filename')).toMatchObject({ in: 'query', required: true });
    expect(param(view, 'type')?.['schema']).toMatchObject({ enum: ['output', 'input', 'temp'] });
    expect(param(view, 'subfolder')).toMatchObject({ required: false });
    for (const p of ['/api/gallery', '/api/comfy/jobs'])
      expect(param(op(p, 'get'), 'user')).toMatchObject({ in: 'query', required: false });
    expect(param(op('/api/comfy/jobs', 'get'), 'status')?.['schema']).toEqual({
      $ref: '#/components/schemas/JobStatus',
    });
  });
});
