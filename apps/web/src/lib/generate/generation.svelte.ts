import type { ImageRef, JobSnapshot, Text2ImgInput } from '@comfy-gateway/schema';
import { errorMessage } from '@comfy-gateway/client';
import { comfy } from '../comfy/client.ts';
import { isFinalJobStatus } from '@comfy-gateway/schema';
import type { Unsubscribe } from '../comfy/use-comfy.ts';
import { notifications } from '../notifications.svelte.ts';

export interface SavedImage {
  id: string;
  deduplicated: boolean;
}

export interface Job {
  promptId: string;
  seed: number;
  params: Text2ImgInput;
  snapshot: JobSnapshot;
  /** Data URL of the latest live preview frame. */
  preview: string | null;
  images: ImageRef[];
  warnings: string[];
  saved: Record<string, SavedImage | 'saving'>;
  /** Why the last save of an image failed (shown beside its button until the next try). */
  saveErrors: Record<string, string>;
  cancelling: boolean;
}

const refKey = (r: ImageRef) => `${r.type}/${r.subfolder}/${r.filename}`;

function mergeImages(a: readonly ImageRef[], b: readonly ImageRef[] | undefined): ImageRef[] {
  const seen = new Set(a.map(refKey));
  return [...a, ...(b ?? []).filter((r) => !seen.has(refKey(r)))];
}

/**
 * The current text-to-image run: queued through the composable, followed over SSE. Lives in module
 * scope so leaving the page and coming back keeps the run in view.
 */
class Generation {
  #job = $state<Job | null>(null);
  #stop: Unsubscribe | null = null;

  get current(): Job | null {
    return this.#job;
  }

  get running(): boolean {
    return this.#job !== null && !isFinalJobStatus(this.#job.snapshot.status);
  }

  /** Queues the run; throws the server's error (validation errors are the caller's to show). */
  async start(params: Text2ImgInput): Promise<void> {
    const res = await comfy.textToImage(params);
    this.#stop?.();
    this.#job = {
      promptId: res.prompt_id,
      seed: res.seed,
      params: { ...params, seed: res.seed },
      snapshot: { prompt_id: res.prompt_id, status: 'queued' },
      preview: null,
      images: [],
      warnings: [],
      saved: {},
      saveErrors: {},
      cancelling: false,
    };
    const promptId = res.prompt_id;
    const update = (fn: (job: Job) => void) => {
      if (this.#job?.promptId === promptId) fn(this.#job);
    };
    this.#stop = comfy.subscribeToStatus(
      promptId,
      (event) =>
        update((job) => {
          switch (event.type) {
            case 'status':
              job.snapshot = event.snapshot;
              job.images = mergeImages(job.images, event.snapshot.images);
              break;
            case 'images':
              job.images = mergeImages(job.images, event.images);
              break;
            case 'preview':
              job.preview = `data:${event.mime};base64,${event.data}`;
              break;
            case 'warning':
              job.warnings = [...job.warnings, event.message];
              break;
            case 'error':
              job.warnings = [...job.warnings, event.message];
              break;
            case 'done':
              break;
          }
        }),
      (final) =>
        update((job) => {
          job.snapshot = final;
          job.images = mergeImages(job.images, final.images);
          job.cancelling = false;
        }),
      { previews: true },
    );
  }

  async cancel(): Promise<void> {
    const job = this.#job;
    if (!job || isFinalJobStatus(job.snapshot.status)) return;
    job.cancelling = true;
    try {
      const out = await comfy.cancel(job.promptId);
      if (!out.cancelled) notifications.notify('info', 'The job had already finished');
    } catch (err) {
      job.cancelling = false;
      notifications.notify('error', `Could not cancel: ${errorMessage(err)}`);
    }
  }

  /** Saves one result to the gallery (the server pulls the bytes and the executed workflow). */
  async save(ref: ImageRef): Promise<void> {
    const job = this.#job;
    if (!job) return;
    const key = refKey(ref);
    job.saved[key] = 'saving';
    delete job.saveErrors[key];
    try {
      const out = await comfy.ingestImage({
        prompt_id: job.promptId,
        filename: ref.filename,
        subfolder: ref.subfolder,
        type: ref.type,
        metadata: { caption: job.params.caption, params: job.params, seed: job.seed, source: 'web' },
      });
      job.saved[key] = { id: out.id, deduplicated: out.deduplicated };
    } catch (err) {
      delete job.saved[key];
      job.saveErrors[key] = errorMessage(err);
    }
  }

  savedOf(ref: ImageRef): SavedImage | 'saving' | undefined {
    return this.#job?.saved[refKey(ref)];
  }

  saveErrorOf(ref: ImageRef): string | undefined {
    return this.#job?.saveErrors[refKey(ref)];
  }

  clear(): void {
    this.#stop?.();
    this.#stop = null;
    this.#job = null;
  }
}

export const generation = new Generation();
