import type { BindableParam, Preset, Text2ImgParams, Workflow } from '@comfy-gateway/schema';
import { GatewayError } from '../errors.ts';
import type { BuildOptions, BuiltWorkflow } from './build-text2img.ts';

/** A VALIDATION_ERROR naming the Text2ImgParams field a template cannot honour (a 400 as it is). */
export class TemplateFieldError extends GatewayError {
  readonly field: string;

  constructor(field: string, message: string) {
    super('VALIDATION_ERROR', `${field}: ${message}`, { fields: { [field]: [message] } });
    this.name = 'TemplateFieldError';
    this.field = field;
  }
}

const SWITCHES = ['pag', 'deepshrink', 'detail_daemon', 'split_sigmas'] as const;

/**
 * A preset's own graph with parameters written at its bindings. Switches and LoRAs need the
 * built-in graph's wiring, so a template refuses them rather than ignoring them silently.
 */
export function buildFromTemplate(
  params: Text2ImgParams,
  opts: BuildOptions & { preset: Preset },
): BuiltWorkflow {
  const template = opts.preset.workflow as Workflow;
  const bindings = opts.preset.bindings ?? {};
  for (const s of SWITCHES) {
    if (params[s] && !opts.preset.defaults?.[s])
      throw new TemplateFieldError(
        s,
        `preset "${opts.preset.name}" has its own workflow and cannot add ${s}`,
      );
  }
  if ((params.loras ?? []).length > 0)
    throw new TemplateFieldError(
      'loras',
      `preset "${opts.preset.name}" has its own workflow and cannot add LoRAs`,
    );

  const workflow = structuredClone(template);
  const values: Partial<Record<BindableParam, unknown>> = {
    caption: params.caption,
    negative: params.negative ?? '',
    width: params.width,
    height: params.height,
    steps: params.steps,
    cfg: params.cfg,
    seed: opts.seed,
    // Unset model choices keep the template's own values, not the server-wide defaults.
    checkpoint: params.checkpoint,
    sampler: params.sampler,
    scheduler: params.scheduler,
    batch_size: params.batch_size,
  };
  const fields = new Map<string, string>();
  for (const [param, binding] of Object.entries(bindings) as [BindableParam, [string, 'inputs', string]][]) {
    const node = workflow[binding[0]];
    const value = values[param];
    if (!node || value === undefined) continue;
    node.inputs[binding[2]] = value;
    fields.set(`${binding[0]}\0${binding[2]}`, param);
  }
  const output = Object.entries(workflow).find(([, n]) => n.class_type === 'SaveImage')?.[0];
  if (!output) throw new TemplateFieldError('preset', `preset "${opts.preset.name}" has no SaveImage node`);
  if (opts.filenamePrefix && workflow[output])
    workflow[output].inputs['filename_prefix'] = opts.filenamePrefix;
  return {
    workflow,
    source: 'preset',
    outputNodeId: output,
    ...(opts.presetId ? { presetId: opts.presetId } : {}),
    fieldOf: (nodeId, input) =>
      (input !== undefined ? fields.get(`${nodeId}\0${input}`) : undefined) ?? 'preset',
  };
}
