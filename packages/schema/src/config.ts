import * as z from 'zod';

/** One ComfyUI server behind the gateway (`COMFY_BACKENDS`, `comfy_backends`). */
export const comfyBackendSchema = z.strictObject({
  /** Defaults to the URL's host:port; shown in health, metrics and image refs. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits and _ . : - only (at most 64)')
    .optional(),
  url: z.url({ protocol: /^https?$/ }),
  /** Breaks ties between equally loaded servers (higher first). */
  weight: z.number().positive().max(1000).default(1),
  /** Prompts on this server at once (one running plus one waiting by default). */
  max_in_flight: z.int().min(1).max(64).default(2),
});
export type ComfyBackendConfig = z.infer<typeof comfyBackendSchema>;

/** The seed's AppConfig: field names are the documented surface, defaults per design §3. */
export const appConfigSchema = z.object({
  comfy_enabled: z.boolean().default(false),
  /** One ComfyUI URL, or several separated by commas (each a server of the pool). */
  comfy_api_url: z
    .string()
    .refine(
      (s) => s.split(',').every((u) => z.url({ protocol: /^https?$/ }).safeParse(u.trim()).success),
      'expected an http(s) URL, or several separated by commas',
    )
    .default('http://127.0.0.1:8188'),
  comfy_timeout: z.number().positive().max(3600).default(30),
  /** Absent means ROOT_DIR/comfy_images, resolved by the server. */
  comfy_image_dir: z.string().min(1).optional(),
  comfy_health_interval_s: z.number().positive().max(86_400).default(60),
  comfy_reconnect_max_attempts: z.int().min(1).max(1000).default(5),
  comfy_reconnect_base_delay_s: z.number().positive().max(3600).default(0.5),
  comfy_reconnect_max_delay_s: z.number().positive().max(86_400).default(30),
  comfy_object_info_ttl_s: z.number().nonnegative().max(604_800).default(3600),
  /** Several ComfyUI servers; absent: the comma-separated `comfy_api_url` list. */
  comfy_backends: z.array(comfyBackendSchema).min(1).max(64).optional(),
});
export type AppConfig = z.infer<typeof appConfigSchema>;
