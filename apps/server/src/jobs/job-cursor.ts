import { fieldError } from '../errors.ts';

/** A position in the newest-first job list: the last row's creation time and id. */
export interface JobCursor {
  createdAt: number;
  promptId: string;
}

/** Opaque to clients: base64url of the position. */
export function encodeJobCursor(c: JobCursor): string {
  return Buffer.from(JSON.stringify([c.createdAt, c.promptId])).toString('base64url');
}

/** The position a cursor stands for; 400 naming `cursor` for anything we did not hand out. */
export function decodeJobCursor(raw: string): JobCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'number' &&
      Number.isFinite(value[0]) &&
      typeof value[1] === 'string'
    ) {
      return { createdAt: value[0], promptId: value[1] };
    }
  } catch {
    // Falls through to the one error below.
  }
  throw fieldError('cursor', 'not a cursor from a previous page');
}
