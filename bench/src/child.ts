import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { IpcCaller } from './procs/ipc.ts';
import type { ProcStats } from './procs/proc-stats.ts';

/** A TypeScript module of this folder run in a child process (tsx loader), spoken to over IPC. */
export class Child {
  readonly proc: ChildProcess;
  readonly #ipc: IpcCaller;
  readonly ready: Promise<void>;

  constructor(file: string, execArgv: string[] = []) {
    const script = fileURLToPath(new URL(file, import.meta.url));
    this.proc = fork(script, [], {
      execArgv: ['--import', import.meta.resolve('tsx'), ...execArgv],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#ipc = new IpcCaller(this.proc, file);
    this.ready = new Promise((resolve, reject) => {
      this.proc.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
      this.proc.on('message', (m: { ready?: boolean }) => {
        if (m.ready) resolve();
      });
    });
  }

  call<T>(kind: string, req: unknown): Promise<T> {
    return this.#ipc.call<T>(kind, req);
  }

  /** CPU time and memory of the child, reported by itself (a full GC first when `gc`). */
  stats(gc = false): Promise<ProcStats> {
    return this.call<ProcStats>('stats', { gc });
  }

  async close(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.kill();
    await exited;
  }
}
