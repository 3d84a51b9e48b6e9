import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { TestApp } from '../fixture.ts';

/** Every payload aimed outside ROOT_DIR carries this, so a stray write is easy to find. */
export const MARKER = 'cgpwn';

export interface ErrorJson {
  error: { code: string; message: string; details?: unknown };
}

/** A 4xx with `{error:{code,message}}` whose message matches `names` (the field or problem). */
export async function expectClientError(res: Response, names: RegExp, status?: number): Promise<ErrorJson> {
  const text = await res.text();
  expect(res.status, text).toBeGreaterThanOrEqual(400);
  expect(res.status, text).toBeLessThan(500);
  if (status !== undefined) expect(res.status, text).toBe(status);
  const body = JSON.parse(text) as ErrorJson;
  expect(typeof body.error.code).toBe('string');
  expect(body.error.message).toMatch(names);
  return body;
}

/** The gateway still answers its liveness probe. */
export async function expectStillServing(app: TestApp): Promise<void> {
  expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
}

/** Paths under the temp dir (3 levels) whose name holds MARKER and that are not inside `rootDir`. */
export async function strayFiles(rootDir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > 3) return;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (p.startsWith(rootDir + path.sep)) continue;
      if (e.name.includes(MARKER)) found.push(p);
      if (e.isDirectory()) await walk(p, depth + 1);
    }
  };
  await walk(path.dirname(rootDir), 0);
  await walk(tmpdir(), 0);
  return found;
}
