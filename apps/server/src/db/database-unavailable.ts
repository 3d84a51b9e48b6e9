import { GatewayError } from '../errors.ts';

// Socket-level failures node and pg report when the server is gone or unreachable.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// PostgreSQL SQLSTATEs of a server that is shutting down, starting, or out of connections.
const PG_CODES = new Set(['57P01', '57P02', '57P03', '53300']);
// pg's own errors carry no code: a dropped socket and an exhausted connect timeout.
const PG_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect$/,
  /^Client has encountered a connection error and is not queryable$/,
];
// better-sqlite3: locked past busy_timeout, disk I/O, a file that cannot be opened (and their extended codes).
const SQLITE_PREFIXES = ['SQLITE_BUSY', 'SQLITE_IOERR', 'SQLITE_CANTOPEN'];

function isOwnUnavailable(err: object): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || PG_CODES.has(code)) return true;
    if (/^08[0-9A-Z]{3}$/.test(code)) return true; // SQLSTATE class 08: connection exception
    if (SQLITE_PREFIXES.some((p) => code === p || code.startsWith(`${p}_`))) return true;
  }
  const message = (err as { message?: unknown }).message;
  return typeof message === 'string' && PG_MESSAGES.some((re) => re.test(message));
}

/**
 * True when a database call failed because the database cannot be reached (PostgreSQL down,
 * restarting or unreachable; SQLite locked, unreadable or unopenable), not because of the query:
 * the one place that knows pg's, node's and better-sqlite3's connection-level failures.
 */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 4) return false;
  if (isOwnUnavailable(err)) return true;
  // Node's happy-eyeballs connect throws an AggregateError; wrappers keep the original as `cause`.
  const { cause, errors } = err as { cause?: unknown; errors?: unknown };
  const nested = [cause, ...(Array.isArray(errors) ? (errors as unknown[]) : [])];
  return nested.some((e) => isDatabaseUnavailable(e, depth + 1));
}

/** The 503 of anything that needs the database while it is down; the cause (it names the host) stays in the log. */
export function databaseUnavailable(cause: unknown): GatewayError {
  return new GatewayError(
    'DATABASE_UNAVAILABLE',
    'the database is unavailable; retry shortly',
    { retry_after_s: 2 },
    { cause },
  );
}
