import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tempDirs } from './temp-dirs.ts';

describe('tempDirs', () => {
  it('makes folders with the prefix and removes all of them in the registered hook', async () => {
    let cleanup: (() => Promise<void>) | undefined;
    const make = tempDirs((fn) => (cleanup = fn));
    const a = await make('cg-t-');
    const b = await make('cg-t-');
    expect(a).not.toBe(b);
    expect(a).toMatch(/cg-t-/);
    expect(existsSync(a) && existsSync(b)).toBe(true);
    await cleanup?.();
    expect(existsSync(a) || existsSync(b)).toBe(false);
  });
});
