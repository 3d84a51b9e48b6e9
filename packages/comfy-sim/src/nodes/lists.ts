// Option lists exactly as ComfyUI 0.3.64 declares them (comfy-protocol.md §4.1).

export const SAMPLER_NAMES = [
  'euler',
  'euler_cfg_pp',
  'euler_ancestral',
  'euler_ancestral_cfg_pp',
  'heun',
  'heunpp2',
  'dpm_2',
  'dpm_2_ancestral',
  'lms',
  'dpm_fast',
  'dpm_adaptive',
  'dpmpp_2s_ancestral',
  'dpmpp_2s_ancestral_cfg_pp',
  'dpmpp_sde',
  'dpmpp_sde_gpu',
  'dpmpp_2m',
  'dpmpp_2m_cfg_pp',
  'dpmpp_2m_sde',
  'dpmpp_2m_sde_gpu',
  'dpmpp_2m_sde_heun',
  'dpmpp_2m_sde_heun_gpu',
  'dpmpp_3m_sde',
  'dpmpp_3m_sde_gpu',
  'ddpm',
  'lcm',
  'ipndm',
  'ipndm_v',
  'deis',
  'res_multistep',
  'res_multistep_cfg_pp',
  'res_multistep_ancestral',
  'res_multistep_ancestral_cfg_pp',
  'gradient_estimation',
  'gradient_estimation_cfg_pp',
  'er_sde',
  'seeds_2',
  'seeds_3',
  'sa_solver',
  'sa_solver_pece',
  'ddim',
  'uni_pc',
  'uni_pc_bh2',
] as const;

export const SCHEDULER_NAMES = [
  'simple',
  'sgm_uniform',
  'karras',
  'exponential',
  'ddim_uniform',
  'beta',
  'normal',
  'linear_quadratic',
  'kl_optimal',
] as const;

/** ImageScale's upscale methods (as the transcript's value_not_in_list body lists them). */
export const IMAGE_UPSCALE_METHODS = ['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos'] as const;

/** PatchModelAddDownscale's V3 combo options. */
export const DOWNSCALE_METHODS = ['bicubic', 'nearest-exact', 'bilinear', 'area', 'bislerp'] as const;

export const DEFAULT_CHECKPOINTS = [
  'sd_xl_base_1.0.safetensors',
  'v1-5-pruned-emaonly.safetensors',
  'tiny_sd15.safetensors',
];
export const DEFAULT_LORAS = [
  'detail_tweaker.safetensors',
  'film_grain.safetensors',
  'tiny_lora.safetensors',
];
export const DEFAULT_VAES = ['sdxl_vae.safetensors', 'vae-ft-mse-840000-ema-pruned.safetensors'];

/** Model folder names served by GET /models (20, like the recorded server). */
export const MODEL_FOLDERS = [
  'checkpoints',
  'loras',
  'vae',
  'text_encoders',
  'diffusion_models',
  'clip_vision',
  'style_models',
  'embeddings',
  'diffusers',
  'vae_approx',
  'controlnet',
  'gligen',
  'upscale_models',
  'hypernetworks',
  'photomaker',
  'classifiers',
  'model_patches',
  'audio_encoders',
  'clip',
  'unet',
];

/** 2^64-1, the seed maximum; JSON output patches its digits (see object-info.ts). */
export const SEED_MAX = 2 ** 64 - 1;
