import { jobKindSchema, jobStatusSchema } from '@comfy-gateway/schema';
import type { JobKind, JobStatus } from '@comfy-gateway/schema';

/** The History page's filters, kept in the URL so a filtered view can be linked and reloaded. */
export interface JobFilters {
  status?: JobStatus;
  kind?: JobKind;
}

/** Reads the filters from a URL's query; unknown values are dropped rather than sent on. */
export function parseJobFilters(params: URLSearchParams): JobFilters {
  const status = jobStatusSchema.safeParse(params.get('status'));
  const kind = jobKindSchema.safeParse(params.get('kind'));
  return {
    ...(status.success ? { status: status.data } : {}),
    ...(kind.success ? { kind: kind.data } : {}),
  };
}

/** The History URL for a set of filters (`/history` when none is set). */
export function historyHref(filters: JobFilters): string {
  const q = new URLSearchParams();
  if (filters.status) q.set('status', filters.status);
  if (filters.kind) q.set('kind', filters.kind);
  return q.size ? `/history?${q}` : '/history';
}

/** The filters with one of them changed from a form value ('' clears it, unknown values too). */
export function withJobFilter(filters: JobFilters, name: keyof JobFilters, value: string): JobFilters {
  const { [name]: _old, ...rest } = filters;
  const parsed = (name === 'status' ? jobStatusSchema : jobKindSchema).safeParse(value);
  return parsed.success ? { ...rest, [name]: parsed.data } : rest;
}
