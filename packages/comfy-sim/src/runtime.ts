import type { Dirs } from './files/dirs.ts';
import { annotatedExists, listInputFiles } from './files/dirs.ts';
import { NodeCache } from './exec/cache.ts';
import { Aborted } from './exec/errors.ts';
import { Executor } from './exec/executor.ts';
import { buildNodeDefs } from './nodes/registry.ts';
import type { NodeDef } from './nodes/types.ts';
import { History } from './queue/history.ts';
import { PromptQueue } from './queue/prompt-queue.ts';
import type { FaultState, StatsState } from './state.ts';
import { WsHub } from './ws/hub.ts';

export interface RuntimeConfig {
  dirs: Dirs;
  checkpoints: string[];
  loras: string[];
  vaes: string[];
  customNodes: boolean;
  previews: boolean;
  stepMs: number;
  nodeMs: number;
  version: string;
  extraObjectInfo: Record<string, unknown>;
}

/**
 * Everything a ComfyUI process holds in memory: queue, history, cache, sockets. A restart makes a
 * new one, so all of it is lost, as when the real server is killed.
 */
export class Runtime {
  alive = true;
  freeMemoryRequested = false;
  readonly history = new History();
  readonly cache = new NodeCache();
  readonly queue: PromptQueue;
  readonly hub: WsHub;
  readonly executor: Executor;
  private readonly worker: Promise<void>;

  constructor(
    readonly config: RuntimeConfig,
    readonly faults: FaultState,
    readonly stats: StatsState,
  ) {
    this.queue = new PromptQueue(() => this.hub.broadcastStatus());
    this.hub = new WsHub({
      faults,
      stats,
      queueRemaining: () => this.queue.remaining,
      executingNodeFor: (sid) => {
        const cur = this.executor.current;
        return cur && cur.clientId === sid ? cur.lastNode : null;
      },
    });
    this.executor = new Executor({
      hub: this.hub,
      cache: this.cache,
      dirs: config.dirs,
      faults,
      defs: () => this.defs(),
      stepMs: config.stepMs,
      nodeMs: config.nodeMs,
      previews: config.previews,
      alive: () => this.alive,
    });
    this.worker = this.loop();
  }

  defs(): Map<string, NodeDef> {
    const { dirs } = this.config;
    return buildNodeDefs({
      checkpoints: this.config.checkpoints,
      loras: this.config.loras,
      vaes: this.config.vaes,
      customNodes: this.config.customNodes,
      inputFiles: () => listInputFiles(dirs),
      inputExists: (v) => annotatedExists(dirs, v),
    });
  }

  private async loop(): Promise<void> {
    for (;;) {
      const item = await this.queue.take(() => this.alive);
      if (!item) return;
      let entry;
      this.stats.started.push(item[1]);
      try {
        entry = await this.executor.run(item);
      } catch (e) {
        if (e instanceof Aborted || !this.alive) return;
        // A simulator bug must not kill the worker: record the prompt as failed and go on.
        console.error('comfy-sim: prompt crashed', e);
        entry = {
          outputs: {},
          status: { status_str: 'error' as const, completed: false, messages: [] },
          meta: {},
        };
      }
      // History first, then the status broadcast, then `executing null` (transcripts §4.3).
      this.history.add(item, entry);
      this.queue.done();
      const clientId = this.executor.current?.clientId ?? null;
      if (clientId !== null) this.hub.send('executing', { node: null, prompt_id: item[1] }, clientId);
      this.executor.current = null;
      if (this.freeMemoryRequested) {
        this.freeMemoryRequested = false;
        this.cache.clear();
      }
    }
  }

  /** Like killing the process: sockets die, the worker stops sending, memory is dropped. */
  async shutdown(): Promise<void> {
    this.alive = false;
    this.queue.wake();
    this.hub.close();
    await this.worker.catch(() => undefined);
  }
}
