import type { NodeDef } from '../nodes/types.ts';
import { pyRepr } from '../util/py.ts';
import { checkWidgetValue, typesMatch } from './validate-input.ts';
import {
  isObject,
  topError,
  ValidationException,
  type Graph,
  type NodeErrorEntry,
  type ValidationError,
  type ValidationResult,
} from './validate-types.ts';

type NodeResult = { ok: boolean; errors: ValidationError[] };

function exceptionError(e: unknown): ValidationError {
  const ex = e instanceof ValidationException ? e : new ValidationException('Exception', String(e));
  return {
    type: 'exception_during_validation',
    message: 'Exception when validating node',
    details: ex.pyStr,
    extra_info: {
      exception_type: ex.pyType,
      traceback: [
        `  File "<comfy-sim>/exec/validate.ts", in validateNode\n    raise ${ex.pyType}(${ex.pyStr})\n`,
      ],
    },
  };
}

/** Validates a prompt like ComfyUI 0.3.64's validate_prompt; coerces widget values in place. */
export function validatePrompt(
  prompt: Graph,
  defs: Map<string, NodeDef>,
  targets?: unknown,
): ValidationResult {
  const outputs: string[] = [];
  for (const [id, node] of Object.entries(prompt)) {
    const invalid = (message: string): ValidationResult => ({
      ok: false,
      body: {
        error: { ...topError('invalid_prompt', message), details: `Node ID '#${id}'` },
        node_errors: {},
      },
    });
    if (!isObject(node) || !('class_type' in node)) {
      return invalid('Cannot execute because a node is missing the class_type property.');
    }
    const def = defs.get(String(node.class_type));
    if (!def) return invalid(`Cannot execute because node ${String(node.class_type)} does not exist.`);
    const wanted = !Array.isArray(targets) || targets.includes(id);
    if (def.outputNode && wanted) outputs.push(id);
  }
  if (outputs.length === 0) {
    return {
      ok: false,
      body: { error: topError('prompt_no_outputs', 'Prompt has no outputs'), node_errors: {} },
    };
  }

  const validated = new Map<string, NodeResult>();
  const visiting = new Set<string>();
  const validateNode = (id: string): NodeResult => {
    const done = validated.get(id);
    if (done) return done;
    if (visiting.has(id)) throw new ValidationException('RecursionError', 'maximum recursion depth exceeded');
    visiting.add(id);
    const node = prompt[id];
    if (!node) throw new ValidationException('KeyError', pyRepr(id));
    const def = defs.get(String(node.class_type));
    if (!def) throw new ValidationException('KeyError', pyRepr(String(node.class_type)));
    if (!isObject(node.inputs)) throw new ValidationException('KeyError', "'inputs'");
    const inputs = node.inputs;
    const errors: ValidationError[] = [];
    let ok = true;
    const customInputs = def.customValidate?.inputs ?? [];
    const sections = [
      ['required', def.required],
      ['optional', def.optional ?? {}],
    ] as const;
    for (const [section, specs] of sections) {
      for (const [name, spec] of Object.entries(specs)) {
        if (!(name in inputs)) {
          if (section === 'required') {
            errors.push({
              type: 'required_input_missing',
              message: 'Required input is missing',
              details: name,
              extra_info: { input_name: name },
            });
          }
          continue;
        }
        const val = inputs[name];
        const inputConfig = [spec[0], spec[1] ?? {}];
        if (Array.isArray(val)) {
          if (val.length !== 2) {
            errors.push({
              type: 'bad_linked_input',
              message: 'Bad linked input, must be a length-2 list of [node_id, slot_index]',
              details: name,
              extra_info: { input_name: name, input_config: inputConfig, received_value: val },
            });
            continue;
          }
          const [srcId, slot] = val as [unknown, unknown];
          const src = typeof srcId === 'string' ? prompt[srcId] : undefined;
          if (!src)
            throw new ValidationException(
              'KeyError',
              typeof srcId === 'string' ? pyRepr(srcId) : String(srcId),
            );
          const srcDef = defs.get(String(src.class_type));
          const received = typeof slot === 'number' ? srcDef?.outputs[slot] : undefined;
          if (received === undefined) throw new ValidationException('IndexError', 'tuple index out of range');
          const expected = typeof spec[0] === 'string' ? spec[0] : 'COMBO';
          if (!typesMatch(received, expected)) {
            errors.push({
              type: 'return_type_mismatch',
              message: 'Return type mismatch between linked nodes',
              details: `${name}, received_type(${received}) mismatch input_type(${expected})`,
              extra_info: {
                input_name: name,
                input_config: inputConfig,
                received_type: received,
                linked_node: val,
              },
            });
            continue;
          }
          if (!validateNode(srcId as string).ok) ok = false;
          continue;
        }
        const err = checkWidgetValue(inputs, name, spec, customInputs.includes(name));
        if (err) errors.push(err);
      }
    }
    if (def.customValidate) {
      const present = customInputs.every((n) => n in inputs && !Array.isArray(inputs[n]));
      const ret = present ? def.customValidate.check(inputs) : true;
      if (ret !== true) {
        const name = customInputs[0] ?? '';
        errors.push({
          type: 'custom_validation_failed',
          message: 'Custom validation failed for node',
          details: `${name} - ${ret}`,
          extra_info: { input_name: name },
        });
      }
    }
    visiting.delete(id);
    const result = { ok: ok && errors.length === 0, errors };
    validated.set(id, result);
    return result;
  };

  const good: string[] = [];
  const failed: [string, ValidationError[]][] = [];
  const nodeErrors: Record<string, NodeErrorEntry> = {};
  for (const o of outputs) {
    let result: NodeResult;
    try {
      result = validateNode(o);
    } catch (e) {
      visiting.clear();
      result = { ok: false, errors: [exceptionError(e)] };
      validated.set(o, result);
    }
    if (result.ok) {
      good.push(o);
      continue;
    }
    failed.push([o, result.errors]);
    // Like upstream, every failed node seen so far lists this output as dependent.
    for (const [id, r] of validated) {
      if (r.ok || r.errors.length === 0) continue;
      const entry = (nodeErrors[id] ??= {
        errors: r.errors,
        dependent_outputs: [],
        class_type: String(prompt[id]?.class_type),
      });
      entry.dependent_outputs.push(o);
    }
  }
  if (good.length > 0) return { ok: true, outputs: good, nodeErrors };
  const details = failed.flatMap(([, errs]) => errs.map((e) => `${e.message}: ${e.details}`)).join('\n');
  return {
    ok: false,
    body: {
      error: topError('prompt_outputs_failed_validation', 'Prompt outputs failed validation', details),
      node_errors: nodeErrors,
    },
  };
}
