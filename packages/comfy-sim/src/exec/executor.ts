import type { Dirs } from '../files/dirs.ts';
import { hashKey, renderImage } from '../image/pattern.ts';
import { encodePng } from '../image/png.ts';
import { imageRunners } from '../nodes/run-image.ts';
import { modelRunners, SAMPLER_CLASSES } from '../nodes/run-model.ts';
import { NodeFailure, type RunContext, type RunFn } from '../nodes/run-types.ts';
import type { NodeDef } from '../nodes/types.ts';
import type { HistoryEntry } from '../queue/history.ts';
import type { QueueItem } from '../queue/prompt-queue.ts';
import type { FaultState } from '../state.ts';
import { sleep } from '../util/sleep.ts';
import { previewFrame, previewWithMetadataFrame, textFrame } from '../ws/frames.ts';
import type { WsHub } from '../ws/hub.ts';
import { computeSignatures, type NodeCache } from './cache.ts';
import { Aborted, fakeTraceback, formatInput, Interrupted } from './errors.ts';
import { ExecutionPlan } from './plan.ts';
import { ProgressRegistry } from './progress.ts';
import { isObject } from './validate-types.ts';

const RUNNERS: Record<string, RunFn> = { ...modelRunners, ...imageRunners };

export interface ExecutorDeps {
  hub: WsHub;
  cache: NodeCache;
  dirs: Dirs;
  faults: FaultState;
  defs: () => Map<string, NodeDef>;
  stepMs: number;
  nodeMs: number;
  previews: boolean;
  alive: () => boolean;
}

type Message = [string, Record<string, unknown>];

/** Runs one prompt at a time and emits exactly the recorded message sequence (transcripts §4). */
export class Executor {
  private interruptFlag = false;
  current: { promptId: string; clientId: string | null; lastNode: string | null } | null = null;

  constructor(private readonly deps: ExecutorDeps) {}

  /** POST /interrupt: global flag, or only when `promptId` is the running one. */
  interrupt(promptId?: string): void {
    if (promptId !== undefined && this.current?.promptId !== promptId) return;
    this.interruptFlag = true;
  }

  private checkpoint(): void {
    if (!this.deps.alive()) throw new Aborted();
    if (this.interruptFlag) throw new Interrupted();
  }

  /** Executes `item`; returns the history entry body (written by the worker before the final status). */
  async run(item: QueueItem): Promise<Omit<HistoryEntry, 'prompt'>> {
    const { hub, cache, faults } = this.deps;
    const [, promptId, prompt, extraData, outputs] = item;
    this.interruptFlag = false;
    const rawClient = extraData['client_id'];
    const clientId =
      rawClient === undefined || rawClient === null
        ? null
        : typeof rawClient === 'string'
          ? rawClient
          : JSON.stringify(rawClient);
    this.current = { promptId, clientId, lastNode: null };
    const defs = this.deps.defs();
    const messages: Message[] = [];
    const toClient = (event: string, data: unknown) => {
      if (clientId !== null) hub.send(event, data, clientId);
    };
    const record = (event: string, data: Record<string, unknown>, broadcast = false) => {
      const d = { ...data, timestamp: Date.now() };
      messages.push([event, d]);
      if (clientId !== null || broadcast) hub.send(event, d, clientId);
    };

    record('execution_start', { prompt_id: promptId });
    const sigs = computeSignatures(prompt, this.deps.dirs);
    cache.retainOnly(sigs.values());
    const isCached = (id: string) => cache.get(sigs.get(id)) !== undefined;
    record('execution_cached', { nodes: Object.keys(prompt).filter(isCached), prompt_id: promptId });

    const progress = new ProgressRegistry(promptId, Object.keys(prompt), (d) =>
      hub.send('progress_state', d, clientId),
    );
    const results = new Map<string, unknown[]>();
    const ui: Record<string, unknown> = {};
    const meta: Record<string, unknown> = {};
    const executed: string[] = [];
    const addUi = (id: string, out: Record<string, unknown>) => {
      ui[id] = out;
      meta[id] = { node_id: id, display_node: id, parent_node: null, real_node_id: id };
    };
    const valueOf = (link: unknown[]): unknown => {
      const [src, slot] = link as [string, number];
      return (results.get(src) ?? cache.get(sigs.get(src))?.outputs)?.[slot];
    };

    const runNode = async (id: string): Promise<void> => {
      const node = prompt[id];
      const classType = String(node?.class_type);
      const hit = cache.get(sigs.get(id));
      if (hit) {
        // Only cached output nodes are staged: they replay their UI without an `executing`.
        toClient('executed', { node: id, display_node: id, output: hit.ui, prompt_id: promptId });
        if (hit.ui) addUi(id, hit.ui);
        progress.finish(id);
        results.set(id, hit.outputs);
        executed.push(id);
        return;
      }
      progress.start(id);
      if (this.current) this.current.lastNode = id;
      toClient('executing', { node: id, display_node: id, prompt_id: promptId });
      const rawInputs = isObject(node?.inputs) ? node.inputs : {};
      const inputs = Object.fromEntries(
        Object.entries(rawInputs).map(([k, v]) => [k, Array.isArray(v) && v.length === 2 ? valueOf(v) : v]),
      );
      try {
        this.checkpoint();
        if (faults.failures.has(classType)) {
          throw new NodeFailure(
            'RuntimeError',
            faults.failures.get(classType) ?? `comfy-sim: simulated failure in ${classType}`,
          );
        }
        if (!SAMPLER_CLASSES.has(classType)) await sleep(this.deps.nodeMs);
        // A running non-sampler node is not stopped mid-op: only a shutdown ends it here.
        if (!this.deps.alive()) throw new Aborted();
        const runner = RUNNERS[classType];
        if (!runner) throw new NodeFailure('NotImplementedError', `comfy-sim cannot run ${classType}`);
        const result = await runner(inputs, this.context(id, item, progress));
        if (!this.deps.alive()) throw new Aborted();
        const sig = sigs.get(id);
        if (sig) cache.set(sig, { outputs: result.outputs, ui: result.ui ?? null });
        results.set(id, result.outputs);
        if (result.ui) {
          addUi(id, result.ui);
          toClient('executed', { node: id, display_node: id, output: result.ui, prompt_id: promptId });
        }
        progress.finish(id);
        executed.push(id);
      } catch (e) {
        if (e instanceof Interrupted || e instanceof Aborted) throw e;
        const f =
          e instanceof NodeFailure
            ? e
            : new NodeFailure(e instanceof Error ? e.name : 'Exception', String(e));
        record('execution_error', {
          prompt_id: promptId,
          node_id: id,
          node_type: classType,
          executed: [...executed],
          exception_message: f.message,
          exception_type: f.pyType,
          traceback: fakeTraceback(classType),
          current_inputs: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, [formatInput(v)]])),
          current_outputs: Object.keys(prompt),
        });
        throw f;
      }
    };

    const plan = new ExecutionPlan(prompt, defs, isCached);
    for (const o of outputs) plan.add(o);
    let ok = true;
    let current = '';
    try {
      while (!plan.done) {
        const id = plan.next();
        if (id === null) throw new NodeFailure('graph.DependencyCycleError', 'Dependency cycle detected');
        current = id;
        await runNode(id);
        plan.complete(id);
      }
      record('execution_success', { prompt_id: promptId });
    } catch (e) {
      ok = false;
      if (e instanceof Aborted) throw e;
      if (e instanceof Interrupted) {
        const nodeType = String(prompt[current]?.class_type);
        record(
          'execution_interrupted',
          { prompt_id: promptId, node_id: current, node_type: nodeType, executed: [...executed] },
          true,
        );
      }
    }
    return { outputs: ui, status: { status_str: ok ? 'success' : 'error', completed: ok, messages }, meta };
  }

  private context(id: string, item: QueueItem, progress: ProgressRegistry): RunContext {
    const [, promptId, prompt, extraData] = item;
    const { hub } = this.deps;
    const clientId = this.current?.clientId ?? null;
    return {
      nodeId: id,
      promptId,
      prompt,
      extraData,
      dirs: this.deps.dirs,
      sendText: (text) => hub.sendBinary(textFrame(id, text), null),
      sample: async (steps, width, height) => {
        const pw = Math.max(1, Math.min(64, Math.round(width / 8)));
        const ph = Math.max(1, Math.min(64, Math.round(height / 8)));
        for (let n = 1; n <= steps; n++) {
          await sleep(this.deps.stepMs);
          this.checkpoint();
          progress.update(id, n, steps);
          const png = this.deps.previews ? previewPng(pw, ph, `${promptId}/${id}/${n}`) : null;
          const withMeta = clientId !== null && hub.supportsPreviewMetadata(clientId);
          if (png && withMeta) {
            const meta = {
              node_id: id,
              prompt_id: promptId,
              display_node_id: id,
              parent_node_id: null,
              real_node_id: id,
              image_type: 'image/png',
            };
            hub.sendBinary(previewWithMetadataFrame(meta, png), clientId);
          }
          hub.send('progress', { value: n, max: steps, prompt_id: promptId, node: id }, clientId);
          if (png && !withMeta) hub.sendBinary(previewFrame(png), clientId);
        }
      },
    };
  }
}

function previewPng(width: number, height: number, key: string): Buffer {
  const img = {
    kind: 'IMAGE' as const,
    width,
    height,
    batch: 1,
    fill: { type: 'pattern' as const, key: hashKey(key) },
    invert: false,
  };
  return encodePng(width, height, renderImage(img, 0), { level: 1 });
}
