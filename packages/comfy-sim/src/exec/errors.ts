/** Thrown at a node start or sampler step after POST /interrupt. */
export class Interrupted extends Error {}

/** Thrown when the simulator was stopped mid-run: nothing more is sent or recorded. */
export class Aborted extends Error {}

/** format_value for execution_error.current_inputs: primitives as is, objects as a short text. */
export function formatInput(v: unknown): unknown {
  if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) return v;
  const o = v as { kind?: string; width?: number; height?: number; batch?: number };
  if (o.kind === 'IMAGE') return `tensor(shape=[${o.batch}, ${o.height}, ${o.width}, 3])`;
  return `<${o.kind ?? 'object'} object>`;
}

export function fakeTraceback(classType: string): string[] {
  return [
    `  File "<comfy-sim>/exec/executor.ts", in runNode\n    result = await runner(inputs, ctx)\n`,
    `  File "<comfy-sim>/nodes/${classType}", in execute\n    raise\n`,
  ];
}
