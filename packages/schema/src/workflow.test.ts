import { describe, expect, it } from 'vitest';
import { comfyQueueRequestSchema } from './workflow.ts';

const node = { class_type: 'EmptyImage', inputs: { width: 64 } };

describe('comfyQueueRequestSchema', () => {
  it('accepts an API-format graph with an optional client id', () => {
    expect(comfyQueueRequestSchema.safeParse({ workflow: { '1': node } }).success).toBe(true);
    expect(comfyQueueRequestSchema.safeParse({ workflow: { '1': node }, client_id: 'app-1' }).success).toBe(
      true,
    );
  });

  it('names the field of each problem', () => {
    const r = comfyQueueRequestSchema.safeParse({ workflow: { '1': { inputs: {} } }, client_id: 'a b' });
    expect(r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toMatchInlineSnapshot(`
      [
        "workflow.1.class_type: Invalid input: expected string, received undefined",
        "client_id: client_id may hold letters, digits, "_", "." and "-" only",
      ]
    `);
  });

  it('rejects an empty graph and a missing graph', () => {
    expect(comfyQueueRequestSchema.safeParse({ workflow: {} }).error?.issues[0]?.message).toBe(
      'workflow must have at least one node',
    );
    expect(comfyQueueRequestSchema.safeParse({}).error?.issues[0]?.path).toEqual(['workflow']);
  });
});
