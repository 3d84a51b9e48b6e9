/** One validation error as the server reports it. */
export interface ValidationError {
  type: string;
  message: string;
  details: string;
  extra_info: Record<string, unknown>;
}

export interface NodeErrorEntry {
  errors: ValidationError[];
  dependent_outputs: string[];
  class_type: string;
}

/** The 400 body of POST /prompt. */
export interface PromptErrorBody {
  error: ValidationError;
  node_errors: Record<string, NodeErrorEntry>;
}

export type ValidationResult =
  | { ok: true; outputs: string[]; nodeErrors: Record<string, NodeErrorEntry> }
  | { ok: false; body: PromptErrorBody };

/** A Python exception raised while validating (KeyError for a link to a missing node, …). */
export class ValidationException extends Error {
  constructor(
    readonly pyType: string,
    readonly pyStr: string,
  ) {
    super(pyStr);
  }
}

export const topError = (type: string, message: string, details = ''): ValidationError => ({
  type,
  message,
  details,
  extra_info: {},
});

export type GraphNode = { class_type?: unknown; inputs?: unknown; _meta?: unknown };
export type Graph = Record<string, GraphNode>;

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
