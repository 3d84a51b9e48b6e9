import { Child } from './child.ts';
import type { LoadRequest, LoadResult, TransferRequest, TransferResult } from './load-child.ts';

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
  transfer(req: TransferRequest): Promise<TransferResult> {
    return this.#child.call<TransferResult>('transfer', req);
  }
  close(): Promise<void> {
    return this.#child.close();
  }
}
