import { MAX_SEED, text2ImgParamsSchema, toFieldErrors } from '@comfy-gateway/schema';
import type { FieldErrors, Text2ImgInput } from '@comfy-gateway/schema';

/** The editable state of the generate form (strings for pickers: '' means "server default"). */
export interface GenerateForm {
  caption: string;
  negative: string;
  width: number;
  height: number;
  steps: number;
  cfg: number;
  seed: number | null;
  batch_size: number;
  checkpoint: string;
  sampler: string;
  scheduler: string;
  loras: { name: string; weight: number }[];
  pag: boolean;
  pag_scale: number | null;
  deepshrink: boolean;
  detail_daemon: boolean;
  detail_amount: number | null;
  split_sigmas: boolean;
  split_step: number | null;
  preset: string;
}

type NumericKey =
  'width' | 'height' | 'steps' | 'cfg' | 'seed' | 'batch_size' | 'pag_scale' | 'detail_amount' | 'split_step';

export interface NumberBounds {
  min: number;
  max: number;
  step: number;
}

interface NumberLike {
  minValue: number | null;
  maxValue: number | null;
  isInt: boolean;
}

function unwrapNumber(schema: unknown): NumberLike {
  let s = schema as { unwrap?: () => unknown; minValue?: unknown };
  while (typeof s.unwrap === 'function' && !('minValue' in s)) s = s.unwrap() as typeof s;
  return s as unknown as NumberLike;
}

/** Min, max and step of a numeric parameter, read from the shared schema (the form never restates them). */
export function boundsOf(key: NumericKey): NumberBounds {
  const n = unwrapNumber(text2ImgParamsSchema.shape[key]);
  return {
    min: n.minValue ?? 0,
    max: Math.min(n.maxValue ?? MAX_SEED, MAX_SEED),
    step: n.isInt ? 1 : 0.1,
  };
}

const DEFAULTS = text2ImgParamsSchema.parse({ caption: '-' });

/** A blank form with the schema's defaults. */
export function defaultForm(): GenerateForm {
  return {
    caption: '',
    negative: '',
    width: DEFAULTS.width,
    height: DEFAULTS.height,
    steps: DEFAULTS.steps,
    cfg: DEFAULTS.cfg,
    seed: null,
    batch_size: DEFAULTS.batch_size,
    checkpoint: '',
    sampler: '',
    scheduler: '',
    loras: [],
    pag: DEFAULTS.pag,
    pag_scale: null,
    deepshrink: DEFAULTS.deepshrink,
    detail_daemon: DEFAULTS.detail_daemon,
    detail_amount: null,
    split_sigmas: DEFAULTS.split_sigmas,
    split_step: null,
    preset: '',
  };
}

const opt = <T>(v: T | null | '' | undefined): T | undefined =>
  v === null || v === '' || v === undefined ? undefined : v;

/** The request body for `POST /text2img`: empty pickers and unset numbers are left out. */
export function toParams(form: GenerateForm): Text2ImgInput {
  const loras = form.loras.filter((l) => l.name);
  const params: Text2ImgInput = {
    caption: form.caption,
    negative: opt(form.negative),
    width: form.width,
    height: form.height,
    steps: form.steps,
    cfg: form.cfg,
    seed: opt(form.seed),
    batch_size: form.batch_size,
    checkpoint: opt(form.checkpoint),
    sampler: opt(form.sampler),
    scheduler: opt(form.scheduler),
    loras: loras.length ? loras.map((l) => l.name) : undefined,
    lora_weights: loras.length ? loras.map((l) => l.weight) : undefined,
    pag: form.pag,
    pag_scale: form.pag ? opt(form.pag_scale) : undefined,
    deepshrink: form.deepshrink,
    detail_daemon: form.detail_daemon,
    detail_amount: form.detail_daemon ? opt(form.detail_amount) : undefined,
    split_sigmas: form.split_sigmas,
    split_step: form.split_sigmas ? opt(form.split_step) : undefined,
    preset: opt(form.preset),
  };
  return Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) as Text2ImgInput;
}

/** Client-side check with the shared schema: field errors keyed like the server's (`loras.0`). */
export function validateForm(form: GenerateForm): { params: Text2ImgInput; errors: FieldErrors } {
  const params = toParams(form);
  const result = text2ImgParamsSchema.safeParse(params);
  return { params, errors: result.success ? {} : toFieldErrors(result.error.issues) };
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** A form prefilled from saved parameters (a gallery item's metadata, a preset's defaults). */
export function formFromParams(p: Record<string, unknown>, base: GenerateForm = defaultForm()): GenerateForm {
  const names = Array.isArray(p['loras'])
    ? p['loras'].filter((x): x is string => typeof x === 'string')
    : null;
  const weights = Array.isArray(p['lora_weights']) ? p['lora_weights'] : [];
  return {
    caption: 'caption' in p ? str(p['caption']) : base.caption,
    negative: 'negative' in p ? str(p['negative']) : base.negative,
    width: num(p['width']) ?? base.width,
    height: num(p['height']) ?? base.height,
    steps: num(p['steps']) ?? base.steps,
    cfg: num(p['cfg']) ?? base.cfg,
    seed: 'seed' in p ? num(p['seed']) : base.seed,
    batch_size: num(p['batch_size']) ?? base.batch_size,
    checkpoint: 'checkpoint' in p ? str(p['checkpoint']) : base.checkpoint,
    sampler: 'sampler' in p ? str(p['sampler']) : base.sampler,
    scheduler: 'scheduler' in p ? str(p['scheduler']) : base.scheduler,
    loras: names ? names.map((name, i) => ({ name, weight: num(weights[i]) ?? 1 })) : base.loras,
    pag: typeof p['pag'] === 'boolean' ? p['pag'] : base.pag,
    pag_scale: 'pag_scale' in p ? num(p['pag_scale']) : base.pag_scale,
    deepshrink: typeof p['deepshrink'] === 'boolean' ? p['deepshrink'] : base.deepshrink,
    detail_daemon: typeof p['detail_daemon'] === 'boolean' ? p['detail_daemon'] : base.detail_daemon,
    detail_amount: 'detail_amount' in p ? num(p['detail_amount']) : base.detail_amount,
    split_sigmas: typeof p['split_sigmas'] === 'boolean' ? p['split_sigmas'] : base.split_sigmas,
    split_step: 'split_step' in p ? num(p['split_step']) : base.split_step,
    preset: 'preset' in p ? str(p['preset']) : base.preset,
  };
}

/** A random seed within the schema's bounds (32 bits keeps it readable). */
export function randomSeed(random: () => number = Math.random): number {
  return Math.floor(random() * 2 ** 32);
}
