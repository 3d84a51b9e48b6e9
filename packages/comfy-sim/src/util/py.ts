// Python-flavoured conversions so validation messages read like the real server's.

/** Python repr() of a string: single quotes unless the text holds one and no double quote. */
export function pyRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  const body = s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
  return q + (q === "'" ? body.replace(/'/g, "\\'") : body) + q;
}

/** Python str() of a JSON value. */
export function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return pyListRepr(v);
  return JSON.stringify(v);
}

/** Python str() of a float. */
export function pyFloatStr(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return `${v}.0`;
  return String(v);
}

/** Python repr() of a list. */
export function pyListRepr(list: readonly unknown[]): string {
  return `[${list.map((x) => (typeof x === 'string' ? pyRepr(x) : pyStr(x))).join(', ')}]`;
}

function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'dict';
  return typeof v;
}

export type Coerced = { ok: true; value: unknown } | { ok: false; error: string };

/** Python int(): accepts ints, floats (truncated), bools and decimal strings. */
export function pyInt(v: unknown): Coerced {
  if (typeof v === 'boolean') return { ok: true, value: v ? 1 : 0 };
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return { ok: false, error: 'cannot convert float infinity to integer' };
    return { ok: true, value: Math.trunc(v) };
  }
  if (typeof v === 'string') {
    const t = v.trim();
    if (/^[+-]?\d+(_\d+)*$/.test(t)) return { ok: true, value: Number(t.replace(/_/g, '')) };
    return { ok: false, error: `invalid literal for int() with base 10: ${pyRepr(v)}` };
  }
  return {
    ok: false,
    error: `int() argument must be a string, a bytes-like object or a real number, not '${typeName(v)}'`,
  };
}

/** Python float(). */
export function pyFloat(v: unknown): Coerced {
  if (typeof v === 'boolean') return { ok: true, value: v ? 1 : 0 };
  if (typeof v === 'number') return { ok: true, value: v };
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return { ok: true, value: Number(t) };
    if (/^[+-]?(inf|infinity)$/.test(t)) return { ok: true, value: t.startsWith('-') ? -Infinity : Infinity };
    if (/^[+-]?nan$/.test(t)) return { ok: true, value: NaN };
    return { ok: false, error: `could not convert string to float: ${pyRepr(v)}` };
  }
  return { ok: false, error: `float() argument must be a string or a real number, not '${typeName(v)}'` };
}

/** Python bool(): truthiness, so the string "false" is True. */
export function pyBool(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v && typeof v === 'object') return Object.keys(v).length > 0;
  return Boolean(v);
}
