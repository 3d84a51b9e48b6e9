import * as z from 'zod';
import { issuePaths, toFieldErrors } from './errors.ts';
import type { FieldErrors } from './errors.ts';
import { GatewayError } from './gateway-error.ts';

/** Structural zod check: tRPC and our own parsing may hold different ZodError classes. */
export function isZodError(err: unknown): err is z.ZodError {
  return err instanceof z.ZodError || (err instanceof Error && err.name === 'ZodError' && 'issues' in err);
}

/** A 400 VALIDATION_ERROR whose message names the first field and whose details list them all. */
export function validationError(issues: readonly z.core.$ZodIssue[], prefix?: string): GatewayError {
  const fields: FieldErrors = toFieldErrors(issues);
  const first = issues[0];
  const firstPath = first ? (issuePaths(first)[0] ?? []) : [];
  const path = [prefix, ...firstPath.map(String)].filter(Boolean).join('.');
  const why = first?.code === 'unrecognized_keys' ? 'unknown field' : first?.message;
  const message = first ? `${path || 'input'}: ${why}` : 'invalid input';
  return new GatewayError('VALIDATION_ERROR', message, { fields });
}
