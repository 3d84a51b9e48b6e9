/**
 * True when a write failed on a UNIQUE or PRIMARY KEY constraint, in either dialect: the one
 * place that knows better-sqlite3's and pg's error codes.
 */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    code === '23505' || // PostgreSQL unique_violation
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}
