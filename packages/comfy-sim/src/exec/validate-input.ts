import type { InputSpec } from '../nodes/types.ts';
import { pyBool, pyFloat, pyFloatStr, pyInt, pyListRepr, pyStr, type Coerced } from '../util/py.ts';
import { isObject, type ValidationError } from './validate-types.ts';

function coerce(type: string, val: unknown): Coerced {
  if (type === 'INT') return pyInt(val);
  if (type === 'FLOAT') return pyFloat(val);
  if (type === 'STRING') return { ok: true, value: typeof val === 'string' ? val : pyStr(val) };
  if (type === 'BOOLEAN') return { ok: true, value: pyBool(val) };
  return { ok: true, value: val };
}

const fmtNumber = (type: string, v: unknown): string =>
  type === 'FLOAT' && typeof v === 'number' ? pyFloatStr(v) : pyStr(v);

/**
 * Checks one widget (non-link) value: Python coercion, min/max, then the V1 combo list.
 * Writes the coerced value back into `inputs`, as the real server does.
 */
export function checkWidgetValue(
  inputs: Record<string, unknown>,
  name: string,
  spec: InputSpec,
  skipListCheck: boolean,
): ValidationError | null {
  const [type, config = {}] = spec;
  const inputConfig = [type, config];
  let val = inputs[name];
  if (isObject(val) && '__value__' in val) {
    val = val['__value__'];
    inputs[name] = val;
  }
  if (typeof type === 'string') {
    const c = coerce(type, val);
    if (!c.ok) {
      return {
        type: 'invalid_input_type',
        message: `Failed to convert an input value to a ${type} value`,
        details: `${name}, ${pyStr(val)}, ${c.error}`,
        extra_info: {
          input_name: name,
          input_config: inputConfig,
          received_value: val,
          exception_message: c.error,
        },
      };
    }
    val = c.value;
    inputs[name] = val;
  }
  if (skipListCheck) return null;
  const typeName = typeof type === 'string' ? type : 'COMBO';
  const min = config['min'];
  if (typeof min === 'number' && typeof val === 'number' && val < min) {
    return {
      type: 'value_smaller_than_min',
      message: `Value ${fmtNumber(typeName, val)} smaller than min of ${fmtNumber(typeName, min)}`,
      details: name,
      extra_info: { input_name: name, input_config: inputConfig, received_value: val },
    };
  }
  const max = config['max'];
  if (typeof max === 'number' && typeof val === 'number' && val > max) {
    return {
      type: 'value_bigger_than_max',
      message: `Value ${fmtNumber(typeName, val)} bigger than max of ${fmtNumber(typeName, max)}`,
      details: name,
      extra_info: { input_name: name, input_config: inputConfig, received_value: val },
    };
  }
  if (Array.isArray(type) && !type.includes(val)) {
    const long = type.length > 20;
    return {
      type: 'value_not_in_list',
      message: 'Value not in list',
      details: `${name}: '${pyStr(val)}' not in ${long ? `(list of length ${type.length})` : pyListRepr(type)}`,
      extra_info: { input_name: name, input_config: long ? null : inputConfig, received_value: val },
    };
  }
  return null;
}

/** validate_node_input: equal types, "*" wildcards, or overlapping comma-separated unions. */
export function typesMatch(received: string, expected: string): boolean {
  if (received === expected || received === '*' || expected === '*') return true;
  const a = new Set(received.split(',').map((t) => t.trim()));
  return expected.split(',').some((t) => a.has(t.trim()));
}
