/** One input as object_info shows it: `[TYPE_OR_OPTIONS, config?]`. */
export type InputSpec = readonly [type: string | readonly string[], config?: Record<string, unknown>];

/** A node class: enough to build its object_info entry and to validate prompts against it. */
export interface NodeDef {
  name: string;
  displayName: string | null;
  category: string;
  pythonModule: string;
  description: string;
  outputNode: boolean;
  /** Built with the V3 schema (comfy_api.latest): different object_info shape, COMBO not validated. */
  v3: boolean;
  required: Record<string, InputSpec>;
  optional?: Record<string, InputSpec>;
  hidden?: Record<string, string>;
  outputs: string[];
  outputNames?: string[];
  /** VALIDATE_INPUTS: returns an error text per input name, or nothing. Skips the combo check for those inputs. */
  customValidate?: { inputs: string[]; check: (inputs: Record<string, unknown>) => string | true };
}

/** Dynamic lists the node definitions depend on. */
export interface NodeEnv {
  checkpoints: string[];
  loras: string[];
  vaes: string[];
  inputFiles: () => string[];
  inputExists: (annotated: string) => boolean;
  customNodes: boolean;
}
