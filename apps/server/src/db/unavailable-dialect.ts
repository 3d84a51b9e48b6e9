import type {
  CompiledQuery,
  DatabaseConnection,
  Dialect,
  Driver,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import { databaseUnavailable, isDatabaseUnavailable } from './database-unavailable.ts';

/** Rethrows a connection-level failure as DATABASE_UNAVAILABLE; query errors pass unchanged. */
function rethrow(err: unknown): never {
  throw isDatabaseUnavailable(err) ? databaseUnavailable(err) : err;
}

async function guard<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    rethrow(err);
  }
}

class GuardedConnection implements DatabaseConnection {
  constructor(readonly inner: DatabaseConnection) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return guard(() => this.inner.executeQuery<R>(query));
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(query, chunkSize);
    } catch (err) {
      rethrow(err);
    }
  }
}

// The dialect's driver hands its own connection objects back to itself (pg releases through them).
const innerOf = (c: DatabaseConnection) => (c instanceof GuardedConnection ? c.inner : c);

class GuardedDriver implements Driver {
  constructor(private readonly inner: Driver) {}

  init() {
    return guard(() => this.inner.init());
  }
  async acquireConnection() {
    return new GuardedConnection(await guard(() => this.inner.acquireConnection()));
  }
  beginTransaction(c: DatabaseConnection, settings: TransactionSettings) {
    return guard(() => this.inner.beginTransaction(innerOf(c), settings));
  }
  commitTransaction(c: DatabaseConnection) {
    return guard(() => this.inner.commitTransaction(innerOf(c)));
  }
  rollbackTransaction(c: DatabaseConnection) {
    return guard(() => this.inner.rollbackTransaction(innerOf(c)));
  }
  releaseConnection(c: DatabaseConnection) {
    return this.inner.releaseConnection(innerOf(c));
  }
  destroy() {
    return this.inner.destroy();
  }
}

/**
 * The dialect with one change: a failure to reach the database becomes the 503
 * `DATABASE_UNAVAILABLE`, so REST, tRPC and background work all see the same typed error
 * without a try/catch in any store.
 */
export function withUnavailableErrors(dialect: Dialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    // No savepoints: the gateway uses none, and Kysely refuses them clearly on a driver without them.
    createDriver: () => new GuardedDriver(dialect.createDriver()),
  };
}
