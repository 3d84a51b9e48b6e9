import * as z from 'zod';

/** The seed's AppConfig: field names are the documented surface, defaults per design §3. */
export const appConfigSchema = z.object({
  comfy_enabled: z.boolean().default(false),
  comfy_api_url: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8188'),
  comfy_timeout: z.number().positive().max(3600).default(30),
  /** Absent means ROOT_DIR/comfy_images, resolved by the server. */
  comfy_image_dir: z.string().min(1).optional(),
  comfy_health_interval_s: z.number().positive().max(86_400).default(60),
  comfy_reconnect_max_attempts: z.int().min(1).max(1000).default(5),
  comfy_reconnect_base_delay_s: z.number().positive().max(3600).default(0.5),
  comfy_reconnect_max_delay_s: z.number().positive().max(86_400).default(30),
  comfy_object_info_ttl_s: z.number().nonnegative().max(604_800).default(3600),
});
export type AppConfig = z.infer<typeof appConfigSchema>;
