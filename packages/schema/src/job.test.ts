import { describe, expect, it } from 'vitest';
import { promptIdSchema } from './job.ts';

describe('promptIdSchema', () => {
  it('accepts UUIDs and ComfyUI-style ids', () => {
    for (const id of ['0b7c3f5e-2a61-4a57-9d0e-6f1e2c3d4b5a', 'abc_1.2:3', 'x'.repeat(128), '...', '.a'])
      expect(promptIdSchema.safeParse(id).success).toBe(true);
  });

  it('refuses empty, too long, and path-like ids with one message', () => {
    // `.` and `..` reached ComfyUI as `/history/.`, which a URL resolves to `/history/` (fuzz found it).
    for (const id of ['', 'x'.repeat(129), '../etc', 'a/b', 'a b', 'é', '.', '..'])
      expect(promptIdSchema.safeParse(id).success).toBe(false);
    expect(promptIdSchema.safeParse('a/b').error?.issues).toMatchInlineSnapshot(`
      [
        {
          "code": "invalid_format",
          "format": "regex",
          "message": "not a prompt id",
          "origin": "string",
          "path": [],
          "pattern": "/^(?!\\.\\.?$)[A-Za-z0-9_.:-]{1,128}$/",
        },
      ]
    `);
  });
});
