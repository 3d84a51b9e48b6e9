import { describe, expect, it } from 'vitest';
import { pyBool, pyFloat, pyFloatStr, pyInt, pyListRepr, pyRepr } from './py.ts';

describe('python coercions', () => {
  it('int() accepts what Python accepts and words errors the same way', () => {
    expect(pyInt('20')).toEqual({ ok: true, value: 20 });
    expect(pyInt(' -7 ')).toEqual({ ok: true, value: -7 });
    expect(pyInt('1_000')).toEqual({ ok: true, value: 1000 });
    expect(pyInt(20.9)).toEqual({ ok: true, value: 20 });
    expect(pyInt(true)).toEqual({ ok: true, value: 1 });
    expect(pyInt('abc')).toEqual({ ok: false, error: "invalid literal for int() with base 10: 'abc'" });
    expect(pyInt('2.5')).toEqual({ ok: false, error: "invalid literal for int() with base 10: '2.5'" });
    expect(pyInt(null)).toEqual({
      ok: false,
      error: "int() argument must be a string, a bytes-like object or a real number, not 'NoneType'",
    });
  });

  it('float(), bool() and repr() follow Python', () => {
    expect(pyFloat('1e3')).toEqual({ ok: true, value: 1000 });
    expect(pyFloat('x')).toEqual({ ok: false, error: "could not convert string to float: 'x'" });
    expect(pyBool('false')).toBe(true);
    expect(pyBool('')).toBe(false);
    expect(pyBool([])).toBe(false);
    expect(pyFloatStr(100)).toBe('100.0');
    expect(pyFloatStr(0.35)).toBe('0.35');
    expect(pyRepr("it's")).toBe('"it\'s"');
    expect(pyListRepr(['a', 'b'])).toBe("['a', 'b']");
  });
});
