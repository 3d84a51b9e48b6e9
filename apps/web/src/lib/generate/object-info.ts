import type { ComfyObjectInfo } from '@comfy-gateway/schema';

/** The values of a combo input (`[["a","b"], {...}]` or V3 `["COMBO", {options: [...]}]`); [] when absent. */
export function comboOptions(info: ComfyObjectInfo | null, nodeClass: string, input: string): string[] {
  const node = info?.[nodeClass];
  const spec = node?.input?.required?.[input] ?? node?.input?.optional?.[input];
  if (!spec) return [];
  const [head, config] = spec;
  if (Array.isArray(head)) return head.filter((v): v is string => typeof v === 'string');
  if (head === 'COMBO' && typeof config === 'object' && config !== null) {
    const options = (config as { options?: unknown }).options;
    if (Array.isArray(options)) return options.filter((v): v is string => typeof v === 'string');
  }
  return [];
}

/** Whether ComfyUI has a node class installed. */
export const hasNode = (info: ComfyObjectInfo | null, nodeClass: string): boolean =>
  Boolean(info?.[nodeClass]);

/** The pickers of the generate form, fed by object_info. */
export function pickerOptions(info: ComfyObjectInfo | null) {
  return {
    checkpoints: comboOptions(info, 'CheckpointLoaderSimple', 'ckpt_name'),
    loras: comboOptions(info, 'LoraLoader', 'lora_name'),
    samplers: comboOptions(info, 'KSampler', 'sampler_name'),
    schedulers: comboOptions(info, 'KSampler', 'scheduler'),
    detailDaemon: hasNode(info, 'DetailDaemonSamplerNode'),
    pag: hasNode(info, 'PerturbedAttentionGuidance'),
    deepshrink: hasNode(info, 'PatchModelAddDownscale'),
    splitSigmas: hasNode(info, 'SplitSigmas'),
  };
}
