import { GatewayError } from '../errors.ts';

/** A 400 naming, per server, what it lacks (text2img maps the issues to its fields). */
export function noServerCanRun(
  missing: Array<{
    backend: string;
    issues: Array<{ field: string; message: string; suggestions: string[] }>;
  }>,
): GatewayError {
  const fields: Record<string, string[]> = {};
  const suggestions: Record<string, string[]> = {};
  for (const { backend, issues } of missing) {
    for (const issue of issues) {
      (fields[issue.field] ??= []).push(`${backend}: ${issue.message}`);
      const merged = new Set([...(suggestions[issue.field] ?? []), ...issue.suggestions]);
      if (merged.size > 0) suggestions[issue.field] = [...merged];
    }
  }
  const first = Object.entries(fields)[0];
  const message = first
    ? `no ComfyUI server can run this job: ${first[0]}: ${first[1].join('; ')}`
    : 'no ComfyUI server can run this job';
  return new GatewayError('VALIDATION_ERROR', message, {
    fields,
    suggestions,
    backends: missing.map((m) => ({ backend: m.backend, issues: m.issues })),
  });
}
