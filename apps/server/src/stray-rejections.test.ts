import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('surviveStrayRejections', () => {
  it('a stray rejection is logged and the process keeps running', () => {
    // A child process: the handler is process-wide, and vitest installs its own.
    const script = `
      import { surviveStrayRejections } from ${JSON.stringify(path.join(here, 'stray-rejections.ts'))};
      const lines = [];
      const count = surviveStrayRejections({ error: (o, msg) => lines.push(msg + ': ' + o.err.message) });
      void Promise.reject(new Error('boom'));
      setTimeout(() => { console.log(JSON.stringify({ count: count(), lines })); }, 50);
    `;
    const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      cwd: here,
    });
    expect(out.status).toBe(0);
    const result = JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '{}') as {
      count: number;
      lines: string[];
    };
    expect(result.count).toBe(1);
    expect(result.lines[0]).toContain('boom');
  });
});
