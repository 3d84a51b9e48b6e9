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

/** `GET /healthz`: the process is up. */
export const livenessSchema = z.object({ status: z.literal('ok') });

/** `GET /readyz` (200 or 503): every readiness check by name. */
export const readinessSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string().optional() })),
});
export type Readiness = z.infer<typeof readinessSchema>;
