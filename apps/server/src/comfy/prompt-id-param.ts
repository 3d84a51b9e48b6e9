import { promptIdSchema } from '@comfy-gateway/schema';
import { GatewayError } from '../errors.ts';

/** A prompt id path parameter, 404 for anything that cannot be one (REST routes and the fast lane). */
export function parsePromptIdParam(raw: unknown): string {
  const id = promptIdSchema.safeParse(raw);
  if (!id.success) throw new GatewayError('NOT_FOUND', 'unknown prompt id');
  return id.data;
}
