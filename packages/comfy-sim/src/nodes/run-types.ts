import type { Graph } from '../exec/validate-types.ts';
import type { Dirs } from '../files/dirs.ts';

/** What a node implementation may ask of the executor. */
export interface RunContext {
  nodeId: string;
  promptId: string;
  prompt: Graph;
  extraData: Record<string, unknown>;
  dirs: Dirs;
  /** Runs `steps` sampler steps: delay, interrupt check, progress and preview per step. */
  sample(steps: number, width: number, height: number): Promise<void>;
  /** Broadcasts a binary TEXT frame (send_progress_text). */
  sendText(text: string): void;
}

export interface RunResult {
  outputs: unknown[];
  ui?: Record<string, unknown>;
}

export type RunFn = (inputs: Record<string, unknown>, ctx: RunContext) => Promise<RunResult> | RunResult;

/** A Python exception raised by a node while it runs (becomes execution_error). */
export class NodeFailure extends Error {
  constructor(
    readonly pyType: string,
    message: string,
  ) {
    super(message);
  }
}

/** Opaque stand-in for MODEL, CLIP, VAE, CONDITIONING, SAMPLER, NOISE, GUIDER. */
export interface Token {
  kind: string;
  key: string;
}

export interface LatentValue {
  kind: 'LATENT';
  width: number;
  height: number;
  batch: number;
  key: string;
}

export interface SigmasValue {
  kind: 'SIGMAS';
  count: number;
  key: string;
}

/** Reads a token-like input, tolerating anything (validation already checked the link types). */
export const keyOf = (v: unknown): string =>
  typeof v === 'object' && v !== null && 'key' in v ? String((v as Token).key) : JSON.stringify(v ?? null);

export const num = (v: unknown, fallback = 0): number => (typeof v === 'number' ? v : fallback);
