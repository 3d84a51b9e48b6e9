import * as z from 'zod';
import { ConfigError } from './config-error.ts';

export type Env = Record<string, string | undefined>;

/** A zod schema over the raw string plus the words used when the value is rejected. */
export interface VarSpec<T> {
  schema: z.ZodType<T, string>;
  expected: string;
  /** Never echo the value in errors (passwords, tokens). */
  secret?: boolean;
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

export const boolVar: VarSpec<boolean> = {
  schema: z
    .string()
    .transform((s) => s.trim().toLowerCase())
    .refine((s) => TRUE.has(s) || FALSE.has(s))
    .transform((s) => TRUE.has(s)),
  expected: 'a boolean (true/false/1/0/yes/no)',
};

/** An integer in [min, max]. */
export function intVar(min: number, max: number): VarSpec<number> {
  return {
    schema: z
      .string()
      .trim()
      .regex(/^[+-]?\d+$/)
      .transform(Number)
      .pipe(z.int().min(min).max(max)),
    expected: `an integer ${min}..${max}`,
  };
}

/** A finite number in (min, max] when `exclusiveMin`, else [min, max]. */
export function numberVar(min: number, max: number, exclusiveMin = false): VarSpec<number> {
  const base = z.number().max(max);
  return {
    schema: z
      .string()
      .trim()
      .regex(/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/)
      .transform(Number)
      .pipe(exclusiveMin ? base.gt(min) : base.min(min)),
    expected: `a number ${exclusiveMin ? '>' : '>='} ${min} and <= ${max}`,
  };
}

export const stringVar: VarSpec<string> = {
  schema: z.string().trim().min(1),
  expected: 'a non-empty string',
};

export const urlVar: VarSpec<string> = {
  schema: z
    .string()
    .trim()
    .pipe(z.url({ protocol: /^https?$/ })),
  expected: 'an http(s) URL',
};

/** A `redis://` or `rediss://` URL (a password in it is never echoed). */
export const redisUrlVar: VarSpec<string> = {
  schema: z
    .string()
    .trim()
    .pipe(z.url({ protocol: /^rediss?$/ })),
  expected: 'a redis:// or rediss:// URL',
  secret: true,
};

/** One http(s) URL or several separated by commas (kept as the trimmed, comma-joined string). */
export const urlListVar: VarSpec<string> = {
  schema: z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((u) => u.trim())
        .filter((u) => u !== ''),
    )
    .pipe(z.array(z.url({ protocol: /^https?$/ })).min(1))
    .transform((list) => list.join(',')),
  expected: 'an http(s) URL, or several separated by commas',
};

/** A PostgreSQL connection URL; secret, since it usually carries a password. */
export const postgresUrlVar: VarSpec<string> = {
  schema: z
    .string()
    .trim()
    .pipe(z.url({ protocol: /^postgres(ql)?$/ })),
  expected: 'a postgres:// or postgresql:// URL',
  secret: true,
};

/** One of a fixed list. */
export function enumVar<T extends string>(values: readonly [T, ...T[]]): VarSpec<T> {
  return {
    schema: z
      .string()
      .transform((s) => s.trim().toLowerCase())
      .pipe(z.enum(values)),
    expected: `one of ${values.join(', ')}`,
  };
}

/** Reads one variable; empty and unset are the same (compose files often pass `VAR=`). */
export function readVar<T>(env: Env, name: string, spec: VarSpec<T>): T | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const result = spec.schema.safeParse(raw);
  if (!result.success) {
    const got = spec.secret ? '' : `, got ${JSON.stringify(raw)}`;
    throw new ConfigError(`${name}: expected ${spec.expected}${got}`);
  }
  return result.data;
}
