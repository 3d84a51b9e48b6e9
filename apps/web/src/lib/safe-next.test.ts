import { describe, expect, it } from 'vitest';
import { safeNext } from './safe-next.ts';

describe('safeNext', () => {
  it('keeps same-site paths and refuses everything else', () => {
    const at = (next: string) => safeNext(new URL(`http://x/login?next=${encodeURIComponent(next)}`));
    expect(at('/gallery?x=1')).toBe('/gallery?x=1');
    expect(at('//evil.example')).toBe('/');
    expect(at('/\\evil.example')).toBe('/');
    expect(at('https://evil.example')).toBe('/');
    expect(safeNext(new URL('http://x/login'))).toBe('/');
  });
});
