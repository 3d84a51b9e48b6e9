/** Per-node state inside `progress_state`. */
export interface NodeProgress {
  value: number;
  max: number;
  state: string; // 'running' | 'finished' | 'error', or whatever a newer ComfyUI sends
}

/** ComfyUI WebSocket messages, text and binary, as typed events. */
export type ComfyEvent =
  | { type: 'status'; queue_remaining: number; sid?: string }
  | { type: 'execution_start'; prompt_id: string; timestamp?: number }
  | { type: 'execution_cached'; prompt_id: string; nodes: string[] }
  /** `node: null` marks the end of a run; the reconnect form has no prompt_id. */
  | { type: 'executing'; prompt_id?: string; node: string | null; display_node?: string }
  | { type: 'progress'; prompt_id?: string; node: string | null; value: number; max: number }
  | { type: 'progress_state'; prompt_id: string; nodes: Record<string, NodeProgress> }
  | {
      type: 'executed';
      prompt_id: string;
      node: string;
      display_node?: string;
      output: Record<string, unknown> | null;
    }
  | { type: 'execution_success'; prompt_id: string; timestamp?: number }
  | {
      type: 'execution_error';
      prompt_id: string;
      node_id: string | null;
      node_type: string | null;
      /** Node ids that had finished before the failure. */
      executed: string[];
      exception_message: string;
      exception_type: string;
      traceback: string[];
      current_inputs: Record<string, unknown>;
      current_outputs: unknown;
      timestamp?: number;
    }
  | {
      type: 'execution_interrupted';
      prompt_id: string;
      node_id: string | null;
      node_type: string | null;
      executed: string[];
      timestamp?: number;
    }
  | { type: 'feature_flags'; flags: Record<string, unknown> }
  /**
   * Binary types 1 and 4; only type 4 names its prompt and node. `format` is the image subtype
   * (`jpeg`, `png`, `webp`); `image_type` is type 4's metadata field as sent.
   */
  | {
      type: 'preview';
      format: string;
      mime: string;
      data: Uint8Array;
      prompt_id?: string;
      node_id?: string;
      display_node_id?: string;
      image_type?: string;
    }
  /** Binary type 3 (progress text), broadcast by ComfyUI. */
  | { type: 'text'; node_id: string; text: string }
  | { type: 'unknown'; raw_type: string; data: unknown };

export type ComfyEventType = ComfyEvent['type'];
