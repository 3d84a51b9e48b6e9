import type { GallerySidecar } from '@comfy-gateway/schema';

type Node = { class_type?: unknown; inputs?: Record<string, unknown> };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Best-effort parameters read back from an API-format graph (for images saved without metadata). */
export function paramsFromWorkflow(workflow: Record<string, unknown> | null): Record<string, unknown> {
  if (!workflow) return {};
  const nodes = Object.values(workflow).filter(isRecord) as Node[];
  const byClass = (...names: string[]) =>
    nodes.filter((n) => typeof n.class_type === 'string' && names.includes(n.class_type));
  const out: Record<string, unknown> = {};
  const sampler = byClass('KSampler', 'KSamplerAdvanced')[0]?.inputs;
  if (sampler) {
    out['seed'] = sampler['seed'] ?? sampler['noise_seed'];
    out['steps'] = sampler['steps'];
    out['cfg'] = sampler['cfg'];
    out['sampler'] = sampler['sampler_name'];
    out['scheduler'] = sampler['scheduler'];
    // The positive prompt is the CLIPTextEncode linked into `positive`.
    for (const [key, target] of [
      ['positive', 'caption'],
      ['negative', 'negative'],
    ] as const) {
      const link = sampler[key];
      const node =
        Array.isArray(link) && typeof link[0] === 'string'
          ? (workflow[link[0]] as Node | undefined)
          : undefined;
      if (typeof node?.inputs?.['text'] === 'string') out[target] = node.inputs['text'];
    }
  }
  const noise = byClass('RandomNoise')[0]?.inputs;
  if (noise && out['seed'] === undefined) out['seed'] = noise['noise_seed'];
  const latent = byClass('EmptyLatentImage', 'EmptySD3LatentImage')[0]?.inputs;
  if (latent) {
    out['width'] = latent['width'];
    out['height'] = latent['height'];
    out['batch_size'] = latent['batch_size'];
  }
  const ckpt = byClass('CheckpointLoaderSimple')[0]?.inputs?.['ckpt_name'];
  if (typeof ckpt === 'string') out['checkpoint'] = ckpt;
  const loras = byClass('LoraLoader');
  if (loras.length) {
    out['loras'] = loras.map((l) => l.inputs?.['lora_name']);
    out['lora_weights'] = loras.map((l) => l.inputs?.['strength_model'] ?? 1);
  }
  if (byClass('PerturbedAttentionGuidance').length) out['pag'] = true;
  if (byClass('PatchModelAddDownscale').length) out['deepshrink'] = true;
  if (byClass('DetailDaemonSamplerNode').length) out['detail_daemon'] = true;
  if (byClass('SplitSigmas').length) out['split_sigmas'] = true;
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}

/** The generation parameters of a gallery item: what the UI saved in metadata, else read from the graph. */
export function paramsFromSidecar(sidecar: GallerySidecar): Record<string, unknown> {
  const meta = sidecar.metadata ?? {};
  const saved = isRecord(meta['params']) ? meta['params'] : null;
  return { ...paramsFromWorkflow(sidecar.workflow), ...(saved ?? {}) };
}
