import type { ImageRef, JobSummary } from '@comfy-gateway/schema';

/** What a run is called in lists: its caption for text2img, else the kind. */
export function jobTitle(job: Pick<JobSummary, 'kind' | 'params'>): string {
  const caption = job.params?.['caption'];
  if (typeof caption === 'string' && caption.trim()) return caption;
  return job.kind === 'workflow' ? 'Workflow run' : 'Text to image';
}

/** The image a list shows for a run: its first output, else any image it made. */
export function jobThumbnail(job: Pick<JobSummary, 'images'>): ImageRef | null {
  return job.images.find((i) => i.type === 'output') ?? job.images[0] ?? null;
}
