import { describe, expect, it } from 'vitest';
import { isGatewayError } from '../errors.ts';
import { parseViewParams } from './view-params.ts';

const fieldOf = (query: Record<string, unknown>): string | null => {
  try {
    parseViewParams(query);
    return null;
  } catch (err) {
    if (!isGatewayError(err)) throw err;
    return Object.keys((err.details as { fields: Record<string, string[]> }).fields)[0] ?? null;
  }
};

describe('parseViewParams', () => {
  it('accepts ordinary references and fills defaults', () => {
    expect(parseViewParams({ filename: 'ComfyUI_00001_.png' })).toEqual({
      filename: 'ComfyUI_00001_.png',
      subfolder: '',
      type: 'output',
    });
    expect(parseViewParams({ filename: 'a.b.png', subfolder: 'sub/dir', type: 'temp' }).subfolder).toBe(
      'sub/dir',
    );
  });

  it.each([
    ['../secret.png', 'filename'],
    ['..', 'filename'],
    ['/etc/passwd', 'filename'],
    ['a/b.png', 'filename'],
    ['..\\win.ini', 'filename'],
    ['a\0.png', 'filename'],
    ['%2e%2e%2fsecret', 'filename'],
    ['%252e%252e%252fsecret', 'filename'],
    ['..%c0%af', 'filename'],
    ['\uff0e\uff0e\uff0fx', 'filename'],
    ['C:evil.png', 'filename'],
    ['', 'filename'],
  ])('rejects filename %j', (filename, field) => {
    expect(fieldOf({ filename })).toBe(field);
  });

  it.each(['..', '../x', 'a/../../b', '/abs', 'a\\b', '%2e%2e', 'x\0', '\u2024\u2024/x'])(
    'rejects subfolder %j',
    (subfolder) => {
      expect(fieldOf({ filename: 'a.png', subfolder })).toBe('subfolder');
    },
  );

  it('rejects unknown types and repeated parameters', () => {
    expect(fieldOf({ filename: 'a.png', type: 'models' })).toBe('type');
    expect(fieldOf({ filename: ['a.png', 'b.png'] })).toBe('filename');
    expect(fieldOf({ filename: 'a.png', subfolder: ['x', 'y'] })).toBe('subfolder');
  });
});
