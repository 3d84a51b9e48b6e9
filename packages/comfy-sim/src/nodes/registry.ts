import { coreNodes } from './defs-core.ts';
import { detailDaemonNodes, extraNodes } from './defs-extras.ts';
import { DEFAULT_CHECKPOINTS, DEFAULT_LORAS, DEFAULT_VAES } from './lists.ts';
import { buildObjectInfo } from './object-info.ts';
import type { NodeDef, NodeEnv } from './types.ts';

/** Every node class the simulator offers, keyed by class name (lists are read from `env` now). */
export function buildNodeDefs(env: NodeEnv): Map<string, NodeDef> {
  const all = [...coreNodes(env), ...extraNodes(), ...(env.customNodes ? detailDaemonNodes() : [])];
  return new Map(all.map((d) => [d.name, d]));
}

export interface ObjectInfoOptions {
  checkpoints?: string[];
  loras?: string[];
  vaes?: string[];
  /** LoadImage's choices (the files in input/). */
  inputFiles?: string[];
  customNodes?: boolean;
  extra?: Record<string, unknown>;
}

/** The simulator's full GET /object_info body, without starting a server (for fixtures in other packages). */
export function objectInfoFor(opts: ObjectInfoOptions = {}): Record<string, unknown> {
  const files = opts.inputFiles ?? [];
  const defs = buildNodeDefs({
    checkpoints: opts.checkpoints ?? DEFAULT_CHECKPOINTS,
    loras: opts.loras ?? DEFAULT_LORAS,
    vaes: opts.vaes ?? DEFAULT_VAES,
    customNodes: opts.customNodes ?? true,
    inputFiles: () => files,
    inputExists: (name) => files.includes(name),
  });
  return buildObjectInfo(defs, opts.extra);
}
