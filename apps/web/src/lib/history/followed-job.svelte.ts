import type { ImageRef, JobRecord, JobSnapshot, Text2ImgInput, Workflow } from '@comfy-gateway/schema';
import { errorMessage } from '@comfy-gateway/client';
import { isFinalJobStatus } from '@comfy-gateway/schema';
import { comfy } from '../comfy/client.ts';
import type { Unsubscribe } from '../comfy/use-comfy.ts';
import { notifications } from '../notifications.svelte.ts';

const refKey = (r: ImageRef) => `${r.type}/${r.subfolder}/${r.filename}`;

function snapshotOf(job: JobRecord): JobSnapshot {
  return {
    prompt_id: job.prompt_id,
    status: job.status,
    images: job.images,
    ...(job.error ? { error: job.error } : {}),
  };
}

/**
 * One run from the ledger as the History page shows it: followed live over SSE while it is
 * active, with per-image gallery saves. One instance per opened run (never module scope).
 */
export class FollowedJob {
  readonly record: JobRecord;
  #snapshot: JobSnapshot;
  #images: ImageRef[];
  /** Per image: 'saving' while its save runs, then its gallery id. */
  saved = $state<Record<string, string>>({});
  saveErrors = $state<Record<string, string>>({});
  cancelling = $state(false);
  #stop: Unsubscribe | null = null;

  constructor(record: JobRecord) {
    this.record = record;
    this.#snapshot = $state(snapshotOf(record));
    this.#images = $state([...record.images]);
  }

  get snapshot(): JobSnapshot {
    return this.#snapshot;
  }

  get images(): ImageRef[] {
    return this.#images;
  }

  get active(): boolean {
    return !isFinalJobStatus(this.#snapshot.status);
  }

  #merge(images: readonly ImageRef[] | undefined): void {
    const seen = this.#images.map(refKey);
    this.#images = [...this.#images, ...(images ?? []).filter((r) => !seen.includes(refKey(r)))];
  }

  /** Follows the run until it ends (no-op for a finished one); returns the stop function. */
  follow(onEnd: () => void): Unsubscribe {
    if (!this.active) return () => {};
    this.#stop = comfy.subscribeToStatus(
      this.record.prompt_id,
      (event) => {
        if (event.type === 'status') {
          this.#snapshot = event.snapshot;
          this.#merge(event.snapshot.images);
        } else if (event.type === 'images') this.#merge(event.images);
      },
      (final) => {
        this.#snapshot = final;
        this.#merge(final.images);
        this.cancelling = false;
        onEnd();
      },
    );
    return () => this.#stop?.();
  }

  async cancel(): Promise<void> {
    this.cancelling = true;
    try {
      const out = await comfy.cancel(this.record.prompt_id);
      if (!out.cancelled) notifications.notify('info', 'The job had already finished');
    } catch (err) {
      this.cancelling = false;
      notifications.notify('error', `Could not cancel: ${errorMessage(err)}`);
    }
  }

  /** Saves one image to the gallery (the server pulls the bytes and the executed workflow). */
  async save(ref: ImageRef): Promise<void> {
    const key = refKey(ref);
    this.saved[key] = 'saving';
    delete this.saveErrors[key];
    const params = this.record.params;
    try {
      const out = await comfy.ingestImage({
        prompt_id: this.record.prompt_id,
        filename: ref.filename,
        subfolder: ref.subfolder,
        type: ref.type,
        metadata: {
          ...(typeof params?.['caption'] === 'string' ? { caption: params['caption'] } : {}),
          ...(params ? { params, seed: params['seed'] } : {}),
          source: 'web-history',
        },
      });
      this.saved[key] = out.id;
    } catch (err) {
      delete this.saved[key];
      this.saveErrors[key] = errorMessage(err);
    }
  }

  savedOf(ref: ImageRef): string | undefined {
    return this.saved[refKey(ref)];
  }

  saveErrorOf(ref: ImageRef): string | undefined {
    return this.saveErrors[refKey(ref)];
  }

  /** Queues the same run again (same parameters, seed included) and returns the new prompt id. */
  async runAgain(): Promise<string> {
    const { kind, params, workflow } = this.record;
    if (kind === 'text2img' && params) return (await comfy.textToImage(params as Text2ImgInput)).prompt_id;
    if (workflow) return (await comfy.queueWorkflow(workflow as Workflow)).prompt_id;
    throw new Error('This run kept neither parameters nor a workflow to run again.');
  }
}
