import type { ErrorCode, FieldErrors } from '@comfy-gateway/schema';

/** An error answer from the gateway (`{"error": {code, message, details}}`), or a transport failure. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode | 'NETWORK_ERROR' | 'UNKNOWN';
  readonly details: unknown;
  /** From `Retry-After`, in milliseconds. */
  readonly retryAfterMs: number | null;

  constructor(opts: {
    status: number;
    code: ApiError['code'];
    message: string;
    details?: unknown;
    retryAfterMs?: number | null;
  }) {
    super(opts.message);
    this.name = 'ApiError';
    this.status = opts.status;
    this.code = opts.code;
    this.details = opts.details;
    this.retryAfterMs = opts.retryAfterMs ?? null;
  }

  /** Per-field messages from `details.fields`, if the server sent any. */
  get fieldErrors(): FieldErrors {
    return readFieldErrors(this.details);
  }

  /** Close matches the server suggests per field (`details.suggestions`, or objects in `fields`). */
  get suggestions(): Record<string, string[]> {
    return readSuggestions(this.details);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function readFieldErrors(details: unknown): FieldErrors {
  if (!isRecord(details) || !isRecord(details['fields'])) return {};
  const out: FieldErrors = {};
  for (const [key, value] of Object.entries(details['fields'])) {
    const list = Array.isArray(value) ? value : [value];
    out[key] = list
      .map((m) =>
        typeof m === 'string' ? m : isRecord(m) && typeof m['message'] === 'string' ? m['message'] : null,
      )
      .filter((m): m is string => m !== null);
  }
  return out;
}

function readSuggestions(details: unknown): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (!isRecord(details)) return out;
  const add = (key: string, v: unknown) => {
    if (!Array.isArray(v)) return;
    const names = v.filter((s): s is string => typeof s === 'string');
    // The same suggestion may come in several shapes; list each once.
    if (names.length > 0) out[key] = [...new Set([...(out[key] ?? []), ...names])];
  };
  if (isRecord(details['suggestions'])) {
    for (const [key, v] of Object.entries(details['suggestions'])) add(key, v);
  }
  if (isRecord(details['fields'])) {
    for (const [key, v] of Object.entries(details['fields'])) {
      for (const item of Array.isArray(v) ? v : [v]) {
        if (isRecord(item)) add(key, item['suggestions']);
      }
    }
  }
  if (Array.isArray(details['issues'])) {
    for (const issue of details['issues']) {
      if (isRecord(issue) && typeof issue['field'] === 'string') add(issue['field'], issue['suggestions']);
    }
  }
  return out;
}

/** A message fit for a toast, whatever was thrown. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message || err.code;
  if (err instanceof Error) return err.message;
  return String(err);
}
