import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A TypeScript module of this folder run in a child process (tsx loader), spoken to over IPC. */
export class Child {
  readonly proc: ChildProcess;
  #next = 1;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly ready: Promise<void>;

  constructor(file: string, execArgv: string[] = []) {
    const script = fileURLToPath(new URL(file, import.meta.url));
    this.proc = fork(script, [], {
      execArgv: ['--import', import.meta.resolve('tsx'), ...execArgv],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.ready = new Promise((resolve, reject) => {
      this.proc.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
      this.proc.on('message', (m: { ready?: boolean; id?: number; result?: unknown; error?: string }) => {
        if (m.ready) return resolve();
        const p = m.id === undefined ? undefined : this.#pending.get(m.id);
        if (!p || m.id === undefined) return;
        this.#pending.delete(m.id);
        if (m.error !== undefined) p.reject(new Error(m.error));
        else p.resolve(m.result);
      });
    });
    this.proc.once('exit', (code) => {
      for (const p of this.#pending.values()) p.reject(new Error(`${file} exited with ${code}`));
      this.#pending.clear();
    });
  }

  call<T>(kind: string, req: unknown): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.proc.send({ id, kind, req });
    });
  }

  async close(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.kill();
    await exited;
  }
}
