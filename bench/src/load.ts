import { Child } from './child.ts';
import type { LoadRequest, LoadResult, TransferRequest, TransferResult } from './load-child.ts';
import type { ProcStats } from './procs/proc-stats.ts';

export type { LoadRequest, LoadResult, TransferRequest, TransferResult };

/** The load-generator process (autocannon), started once per benchmark. */
export class LoadGen {
  readonly #child = new Child('./load-child.ts');
  ready(): Promise<void> {
    return this.#child.ready;
  }
  run(req: LoadRequest): Promise<LoadResult> {
    return this.#child.call<LoadResult>('load', req);
  }
  /** One autocannon per target at the same time; the result is their sum. */
  runMany(reqs: LoadRequest[]): Promise<LoadResult> {
    return this.#child.call<LoadResult>('loadMany', reqs);
  }
  transfer(req: TransferRequest): Promise<TransferResult> {
    return this.#child.call<TransferResult>('transfer', req);
  }
  stats(): Promise<ProcStats> {
    return this.#child.stats();
  }
  close(): Promise<void> {
    return this.#child.close();
  }
}
