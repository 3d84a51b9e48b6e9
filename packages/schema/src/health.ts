import * as z from 'zod';

export const connectionStateSchema = z.enum([
  'disabled',
  'connecting',
  'connected',
  'reconnecting',
  'degraded',
]);
export type ConnectionState = z.infer<typeof connectionStateSchema>;

export const healthSchema = z.object({
  status: z.literal('ok'),
  enabled: z.boolean(),
  service: z
    .object({
      // Admins only (upstream details), like last_error.
      base_url: z.string().optional(),
      timeout: z.number(),
      client_wired: z.boolean(),
      connection_state: connectionStateSchema,
      last_success_at: z.number().nullable(),
      last_error: z.string().nullable().optional(),
      reconnect_attempts: z.int(),
      comfy_version: z.string().nullable(),
      active_jobs: z.int(),
    })
    .optional(),
});
export type Health = z.infer<typeof healthSchema>;
