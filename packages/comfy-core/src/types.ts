import type { ImageRef, JobSnapshot, StreamEvent, Workflow } from '@comfy-gateway/schema';

/** Per-call options of every client method. */
export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** One item of ComfyUI's `/queue`: `[number, prompt_id, prompt, extra_data, outputs]`. */
export interface ComfyQueueItem {
  number: number;
  prompt_id: string;
  prompt: Workflow;
  extra_data: Record<string, unknown>;
  outputs: string[];
}

export interface ComfyQueue {
  running: ComfyQueueItem[];
  /** Sorted by number, as the ComfyUI frontend shows it. */
  pending: ComfyQueueItem[];
}

/** One `/history/{id}` entry. */
export interface ComfyHistoryEntry {
  prompt: ComfyQueueItem;
  outputs: Record<string, Record<string, unknown>>;
  status: {
    status_str: string; // 'success' | 'error'
    completed: boolean;
    messages: Array<[string, Record<string, unknown>]>;
  };
  meta: Record<string, unknown>;
}

export interface QueuePromptInput {
  prompt: Workflow;
  client_id?: string;
  extra_data?: Record<string, unknown>;
  front?: boolean;
  prompt_id?: string;
}

export interface QueuePromptResult {
  prompt_id: string;
  number: number;
  node_errors: Record<string, unknown>;
}

export interface ViewResult {
  /** Streamed from ComfyUI, never buffered; cancel it if unused. */
  body: ReadableStream<Uint8Array>;
  contentType: string | null;
  contentLength: number | null;
  status: number;
}

/** A stream event with its per-prompt id, as kept for resuming (SSE Last-Event-ID, tRPC tracked). */
export interface TrackedEvent {
  id: string;
  event: StreamEvent;
}

export type JobListener = (e: TrackedEvent) => void;

/** Injected timers (tests pass fakes); handles are opaque. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Where errors go that must not break the caller (failed writes, background polls): a logger. */
export type ErrorHook = (where: string, err: unknown) => void;

/** Counter hook: `name` such as `rescue`, `vanished`, `reconcile`, `job_end`; labels narrow it. */
export type MetricHook = (name: string, labels?: Record<string, string>) => void;

export type { ImageRef, JobSnapshot, StreamEvent };
