import * as z from 'zod';

/**
 * Every error the gateway reports, with the HTTP status it maps to: the one table for REST, tRPC
 * (its codes are derived from these statuses) and clients. For a status shared by several codes,
 * the first one listed is what a bare status of a foreign body is read as.
 */
export const ERROR_HTTP_STATUS = {
  VALIDATION_ERROR: 400,
  COMFY_VALIDATION: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UPSTREAM_ERROR: 502,
  COMFY_UNAVAILABLE: 503,
  COMFY_DISABLED: 503,
  /** Redis (`REDIS_URL`) is down: shared limits cannot be checked, so what needs them waits. */
  REDIS_UNAVAILABLE: 503,
  /** The database (SQLite file or `DATABASE_URL`) cannot be reached: what reads or writes it waits. */
  DATABASE_UNAVAILABLE: 503,
  COMFY_TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_HTTP_STATUS;
/** Every HTTP status the gateway answers an error with. */
export type ErrorStatus = (typeof ERROR_HTTP_STATUS)[ErrorCode];

const ERROR_CODES = Object.keys(ERROR_HTTP_STATUS) as [ErrorCode, ...ErrorCode[]];

/** The code to assume for a bare HTTP status (a body that is not ours, e.g. from a proxy or parser). */
export const ERROR_CODE_BY_STATUS: Readonly<Partial<Record<number, ErrorCode>>> = Object.fromEntries(
  ERROR_CODES.toReversed().map((code) => [ERROR_HTTP_STATUS[code], code]),
);
export const errorCodeSchema = z.enum(ERROR_CODES);

/** `{"error": {"code", "message", "details"?}}` */
export const errorBodySchema = z.object({
  error: z.object({
    code: errorCodeSchema,
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** Flattened field errors carried in `details.fields` of a VALIDATION_ERROR. */
export const fieldErrorsSchema = z.record(z.string(), z.array(z.string()));
export type FieldErrors = z.infer<typeof fieldErrorsSchema>;

/** Where an issue points: an unknown key is reported at the key itself, not at its object. */
export function issuePaths(issue: z.core.$ZodIssue): PropertyKey[][] {
  if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => [...issue.path, key]);
  return [issue.path];
}

/** Turns zod issues into `{ "a.b": ["message"] }`, the shape forms show per field. */
export function toFieldErrors(issues: readonly z.core.$ZodIssue[]): FieldErrors {
  const fields: FieldErrors = {};
  for (const issue of issues) {
    const unknownKey = issue.code === 'unrecognized_keys';
    for (const path of issuePaths(issue)) {
      const key = path.length > 0 ? path.map(String).join('.') : '_';
      (fields[key] ??= []).push(unknownKey ? 'unknown field' : issue.message);
    }
  }
  return fields;
}
