import type { ChildProcess } from 'node:child_process';

interface Reply {
  id?: number;
  result?: unknown;
  error?: string;
}

/** Request/response over a child's IPC channel: `{id, kind, req}` out, `{id, result | error}` back. */
export class IpcCaller {
  #next = 1;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(
    private readonly proc: ChildProcess,
    private readonly name: string,
  ) {
    proc.on('message', (m: Reply) => {
      const p = m.id === undefined ? undefined : this.#pending.get(m.id);
      if (!p || m.id === undefined) return;
      this.#pending.delete(m.id);
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(m.result);
    });
    proc.once('exit', (code, signal) => {
      for (const p of this.#pending.values())
        p.reject(new Error(`${name} exited with ${code ?? signal ?? '?'}`));
      this.#pending.clear();
    });
  }

  call<T>(kind: string, req: unknown): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      if (!this.proc.connected) return reject(new Error(`${this.name} is not running`));
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.proc.send({ id, kind, req });
    });
  }
}

/** The child side: answers `{id, kind, req}` messages with the handler's result. */
export function serveIpc(handlers: Record<string, (req: never) => unknown>): void {
  process.on('message', (m: { id: number; kind: string; req: unknown }) => {
    const handler = handlers[m.kind];
    if (!handler) return void process.send?.({ id: m.id, error: `unknown call ${m.kind}` });
    Promise.resolve()
      .then(() => handler(m.req as never))
      .then(
        (result) => process.send?.({ id: m.id, result }),
        (err: unknown) =>
          process.send?.({
            id: m.id,
            error: err instanceof Error ? (err.stack ?? err.message) : String(err),
          }),
      );
  });
  // The bench process went away: do not linger as an orphan holding ports.
  process.on('disconnect', () => process.exit(0));
}
