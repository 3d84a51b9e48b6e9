import { describe, expect, it } from 'vitest';
import { fixtureObjectInfo } from '../builder/fixtures/object-info.ts';
import { mergeObjectInfo, missingCapabilities } from './capability.ts';
import { listOptions } from '../builder/node-spec.ts';

const withCheckpoints = (names: string[]) => {
  const info = fixtureObjectInfo();
  const input = info['CheckpointLoaderSimple']?.input?.required;
  if (input) input['ckpt_name'] = [names];
  return info;
};

const graph = (ckpt: string, cls = 'CheckpointLoaderSimple') => ({
  '1': { class_type: cls, inputs: { ckpt_name: ckpt } },
});

describe('missingCapabilities', () => {
  it('is empty when the server has the node and the value', () => {
    expect(missingCapabilities(graph('a.safetensors'), withCheckpoints(['a.safetensors']))).toEqual([]);
  });

  it('names a combo value the server does not offer', () => {
    const issues = missingCapabilities(graph('b.safetensors'), withCheckpoints(['a.safetensors']));
    expect(issues.map((i) => [i.code, i.input])).toEqual([['value_not_in_list', 'ckpt_name']]);
  });

  it('names a node class the server does not have', () => {
    const issues = missingCapabilities(graph('a', 'NoSuchNode'), withCheckpoints(['a']));
    expect(issues.map((i) => i.code)).toEqual(['missing_node_class']);
  });

  it('ignores what is not about capability (a missing input is the submitter’s problem)', () => {
    const g = { '1': { class_type: 'CheckpointLoaderSimple', inputs: {} } };
    expect(missingCapabilities(g, withCheckpoints(['a']))).toEqual([]);
  });
});

describe('mergeObjectInfo', () => {
  it('unions every combo’s options and keeps every node class', () => {
    const a = withCheckpoints(['a.safetensors']);
    const b = withCheckpoints(['b.safetensors', 'a.safetensors']);
    b['OnlyOnB'] = { name: 'OnlyOnB', input: { required: {} } };
    const merged = mergeObjectInfo([a, b]);
    expect(listOptions(merged, 'CheckpointLoaderSimple', 'ckpt_name')).toEqual([
      'a.safetensors',
      'b.safetensors',
    ]);
    expect(merged['OnlyOnB']).toBeDefined();
    // The inputs are copies: merging never changes a server's own object_info.
    expect(listOptions(a, 'CheckpointLoaderSimple', 'ckpt_name')).toEqual(['a.safetensors']);
  });
});
