import { describe, expect, it } from 'vitest';
import type { Workflow } from '@comfy-gateway/schema';
import { depthExceeds, guardWorkflow } from './workflow-guard.ts';

const nested = (depth: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};

const wf = (inputs: Record<string, unknown>, classType = 'SaveImage'): Workflow => ({
  '9': { class_type: classType, inputs },
});

const message = (fn: () => void): string => {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
};

describe('guardWorkflow', () => {
  it('counts nesting without recursion and refuses graphs deeper than 64 levels', () => {
    expect(depthExceeds(nested(64), 64)).toBe(false);
    expect(depthExceeds(nested(65), 64)).toBe(true);
    expect(depthExceeds(nested(200_000), 64)).toBe(true);
    // workflow (1) > node (2) > inputs (3) > value: 61 more arrays still fit, 62 do not.
    expect(() => guardWorkflow(wf({ x: nested(61) }), { allowlist: null })).not.toThrow();
    expect(message(() => guardWorkflow(wf({ x: nested(62) }), { allowlist: null }))).toBe(
      'workflow: nested deeper than 64 levels',
    );
  });

  it.each([
    ['filename_prefix', '/etc/cron.d/x'],
    ['filename_prefix', '../../x'],
    ['filename_prefix', 'ok/../../x'],
    ['filename_prefix', 'C:\\x'],
    ['image', '..\\secret.png'],
    ['video_filename', '/abs.mp4'],
  ])('refuses %s = %j naming the node and input', (input, value) => {
    expect(message(() => guardWorkflow(wf({ [input]: value }), { allowlist: null }))).toBe(
      `workflow.9.inputs.${input}: node 9 (SaveImage): ${input} must be a relative name without ".."`,
    );
  });

  it('lets relative names, dots inside names and links through', () => {
    const ok = {
      filename_prefix: 'runs/day1/img..v2',
      image: ['3', 0],
      text: '../not a file input',
    };
    expect(() => guardWorkflow(wf(ok), { allowlist: null })).not.toThrow();
  });

  it('refuses node classes outside the allow-list, naming each once', () => {
    const graph: Workflow = {
      '1': { class_type: 'EmptyImage', inputs: {} },
      '2': { class_type: 'ShellExec', inputs: {} },
      '3': { class_type: 'ShellExec', inputs: {} },
      '4': { class_type: 'SaveImage', inputs: {} },
    };
    expect(message(() => guardWorkflow(graph, { allowlist: new Set(['EmptyImage']) }))).toBe(
      'workflow: node classes not allowed on this gateway: ShellExec, SaveImage (COMFY_NODE_ALLOWLIST)',
    );
    expect(() =>
      guardWorkflow(graph, { allowlist: new Set(['EmptyImage', 'ShellExec', 'SaveImage']) }),
    ).not.toThrow();
  });
});
