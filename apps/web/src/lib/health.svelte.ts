import { gateway } from './api/gateway.ts';
import { Poller } from './poller.svelte.ts';

/** Gateway health (watchdog state, base URL, ...), polled while shown. */
export const health = new Poller(() => gateway.health(), 10_000);
