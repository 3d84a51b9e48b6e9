import * as z from 'zod';

export const connectionStateSchema = z.enum([
  'disabled',
  'connecting',
  'connected',
  'reconnecting',
  'degraded',
]);
export type ConnectionState = z.infer<typeof connectionStateSchema>;

/** One ComfyUI server of the pool; `url` and `last_error` for admins only. */
export const backendHealthSchema = z.object({
  name: z.string(),
  state: connectionStateSchema,
  /** Jobs sent to it and not ended. */
  in_flight: z.int().nonnegative(),
  /** Of those, still waiting in its queue. */
  queue_remaining: z.int().nonnegative(),
  version: z.string().nullable(),
  draining: z.boolean(),
  max_in_flight: z.int().positive(),
  url: z.string().optional(),
  last_error: z.string().nullable().optional(),
});
export type BackendHealth = z.infer<typeof backendHealthSchema>;

/** Admins only: `priority` of a job, at submit or later (higher runs first; users submit at 0). */
export const jobPrioritySchema = z.int().min(-100).max(100);
export const setJobPriorityInputSchema = z.strictObject({ priority: jobPrioritySchema });
export type SetJobPriorityInput = z.infer<typeof setJobPriorityInputSchema>;
/** The answer to a priority change; `waiting` while the job is still in the gateway queue. */
export const jobPriorityResultSchema = z.object({
  prompt_id: z.string(),
  priority: jobPrioritySchema,
  waiting: z.boolean(),
});
export type JobPriorityResult = z.infer<typeof jobPriorityResultSchema>;
/** The answer to draining or resuming one server of the pool. */
export const backendDrainStateSchema = z.object({ name: z.string(), draining: z.boolean() });
export type BackendDrainState = z.infer<typeof backendDrainStateSchema>;

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
      /** With several servers: each one (the top-level state is the best of them). */
      backends: z.array(backendHealthSchema).optional(),
      /** With several servers: jobs waiting in the gateway queue. */
      gateway_queue: z.int().nonnegative().optional(),
    })
    .optional(),
});
export type Health = z.infer<typeof healthSchema>;

/** `GET /healthz`: the process is up. */
export const livenessSchema = z.object({ status: z.literal('ok') });

/** `GET /readyz` (200 or 503): every readiness check by name. */
export const readinessSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  checks: z.record(
    z.string(),
    z.object({
      ok: z.boolean(),
      detail: z.string().optional(),
      /** A shared service's connection state (`redis`: connecting, ready, down; `database`: ready, down). */
      state: z.string().optional(),
      /** A shared service's round trip in ms. */
      latency_ms: z.number().optional(),
    }),
  ),
});
export type Readiness = z.infer<typeof readinessSchema>;
