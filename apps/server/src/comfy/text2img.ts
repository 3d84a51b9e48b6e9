import { randomInt } from 'node:crypto';
import {
  applyPresetDefaults,
  buildText2Img,
  listOptions,
  MAX_AVAILABLE,
  suggest,
  validateWorkflow,
} from '@comfy-gateway/comfy-core/builder';
import type { WorkflowIssue } from '@comfy-gateway/comfy-core/builder';
import { MAX_SEED, comfyText2ImgResponseSchema, text2ImgParamsSchema } from '@comfy-gateway/schema';
import type { ComfyObjectInfo, ComfyText2ImgResponse, Preset } from '@comfy-gateway/schema';
import { GatewayError, validationError } from '../errors.ts';
import type { JobAcceptor } from '../jobs/accept-job.ts';
import type { IdempotencyStore } from './idempotency.ts';
import { checkPriority } from './priority.ts';
import type { CallContext, ComfyOps } from './service.ts';

export interface PresetLookup {
  get(id: string): Promise<Preset | undefined>;
  ids(): Promise<string[]>;
}

/** Defaults the server can read off ComfyUI: its first checkpoint, and euler/normal when offered. */
function defaultsFrom(info: ComfyObjectInfo) {
  const pick = (options: string[], preferred: string) =>
    options.includes(preferred) ? preferred : options[0];
  const checkpoint = listOptions(info, 'CheckpointLoaderSimple', 'ckpt_name')[0];
  const sampler = pick(listOptions(info, 'KSampler', 'sampler_name'), 'euler');
  const scheduler = pick(listOptions(info, 'KSampler', 'scheduler'), 'normal');
  return {
    ...(checkpoint ? { checkpoint } : {}),
    ...(sampler ? { sampler } : {}),
    ...(scheduler ? { scheduler } : {}),
  };
}

/** "; nothing close; available: a, b (first 20 of 57)": what to pick from when no match is close. */
function availableHint(values: readonly string[], total: number): string {
  const more = total > values.length ? ` (first ${values.length} of ${total})` : '';
  return values.length > 0 ? `; nothing close, available: ${values.join(', ')}${more}` : '';
}

/** A 400 listing each field ComfyUI cannot satisfy, with close matches or else what it offers. */
function unsupportedError(issues: WorkflowIssue[]): GatewayError {
  const fields: Record<string, string[]> = {};
  const suggestions: Record<string, string[]> = {};
  const available: Record<string, string[]> = {};
  for (const issue of issues) {
    (fields[issue.field] ??= []).push(issue.message);
    if (issue.suggestions.length > 0) suggestions[issue.field] = issue.suggestions;
    else if (issue.available && issue.available.length > 0) available[issue.field] = issue.available;
  }
  const first = issues[0];
  const hint =
    first && first.suggestions.length === 0
      ? availableHint(first.available ?? [], first.available_count ?? 0)
      : '';
  const message = first
    ? `${first.field}: ${first.message}${hint}`
    : 'the workflow does not fit this ComfyUI server';
  const extra = Object.keys(available).length > 0 ? { available } : {};
  return new GatewayError('VALIDATION_ERROR', message, { fields, suggestions, ...extra, issues });
}

/** 400 for a preset id that is not there: close ids, or else every id (the first 20). */
function unknownPresetError(presetId: string, ids: string[]): GatewayError {
  const options = suggest(presetId, ids);
  const first = ids.slice(0, MAX_AVAILABLE);
  const why = `unknown preset ${JSON.stringify(presetId)}`;
  return new GatewayError(
    'VALIDATION_ERROR',
    `preset: ${why}${options.length === 0 ? availableHint(first, ids.length) : ''}`,
    {
      fields: { preset: [why] },
      suggestions: { preset: options },
      ...(options.length === 0 && first.length > 0 ? { available: { preset: first } } : {}),
    },
  );
}

/** Text-to-image: preset defaults, schema validation, graph building, a check against object_info, queueing. */
export function createText2Img(deps: {
  ops: ComfyOps;
  presets: PresetLookup;
  idempotency: IdempotencyStore;
  accept: JobAcceptor;
}) {
  return async (raw: unknown, ctx: CallContext): Promise<ComfyText2ImgResponse> => {
    // Admins only; not a graph parameter, so it is taken off before the params are validated.
    let priority: number | undefined;
    if (raw && typeof raw === 'object' && 'priority' in raw) {
      const { priority: p, ...rest } = raw as Record<string, unknown>;
      if (typeof p !== 'number' || !Number.isInteger(p) || p < -100 || p > 100)
        throw new GatewayError('VALIDATION_ERROR', 'priority: expected an integer -100..100', {
          fields: { priority: ['expected an integer -100..100'] },
        });
      checkPriority(p, ctx.user);
      priority = p;
      raw = rest;
    }
    const presetId = raw && typeof raw === 'object' ? (raw as { preset?: unknown }).preset : undefined;
    let preset: Preset | undefined;
    if (typeof presetId === 'string' && presetId !== '') {
      preset = await deps.presets.get(presetId);
      if (!preset) throw unknownPresetError(presetId, await deps.presets.ids());
    }
    const merged =
      preset && raw && typeof raw === 'object'
        ? applyPresetDefaults(raw as Record<string, unknown>, preset)
        : raw;
    const parsed = text2ImgParamsSchema.safeParse(merged);
    if (!parsed.success) throw validationError(parsed.error.issues);
    const params = parsed.data;

    const { value } = await deps.idempotency.run(
      {
        key: ctx.idempotencyKey,
        userId: ctx.user.id,
        route: 'text2img',
        body: merged,
        response: comfyText2ImgResponseSchema,
      },
      async () => {
        // With several servers: every server's options together (routing picks one that has them).
        const info = (await deps.ops.objectInfo()).value;
        const seed = params.seed ?? randomInt(0, Math.min(MAX_SEED, 2 ** 48 - 1));
        // A template preset that cannot take a switch throws a VALIDATION_ERROR naming it.
        const built = buildText2Img(params, {
          seed,
          ...(preset && typeof presetId === 'string' ? { preset, presetId } : {}),
          defaults: defaultsFrom(info),
        });
        const check = validateWorkflow(built.workflow, info, built.fieldOf);
        if (!check.ok) throw unsupportedError(check.issues);
        await deps.ops.checkRunnable(built.workflow, built.fieldOf);
        const queued = await deps.accept({
          workflow: built.workflow,
          kind: 'text2img',
          params: { ...params, seed, ...(built.presetId ? { preset: built.presetId } : {}) },
          user: ctx.user,
          idempotencyKey: ctx.idempotencyKey,
          priority,
        });
        return {
          prompt_id: queued.prompt_id,
          client_id: queued.client_id,
          seed,
          workflow_source: built.source,
          ...(built.presetId ? { preset: built.presetId } : {}),
        };
      },
    );
    return value;
  };
}
