import { comfy } from './comfy/client.ts';
import { Poller } from './poller.svelte.ts';

/** ComfyUI's queue (running + pending), polled every 1.5 s while the queue page shows it. */
export const queueState = new Poller(() => comfy.getQueue(), 1500);
