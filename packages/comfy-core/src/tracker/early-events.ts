import type { ComfyEvent } from '../client/events.ts';

const MAX_PROMPTS = 64;
const MAX_EVENTS = 256;
const MAX_AGE_MS = 30_000;

/**
 * Events for prompts not tracked yet. ComfyUI may start (and even finish) a prompt before its
 * HTTP answer reaches us, so `track()` replays what arrived early instead of losing it.
 */
export function createEarlyEvents(now: () => number) {
  const byPrompt = new Map<string, { at: number; events: ComfyEvent[] }>();

  const expire = () => {
    const t = now();
    for (const [id, e] of byPrompt) if (t - e.at > MAX_AGE_MS) byPrompt.delete(id);
    // Maps iterate in insertion order: the first key is the oldest.
    while (byPrompt.size > MAX_PROMPTS) {
      const oldest = byPrompt.keys().next();
      if (oldest.done) break;
      byPrompt.delete(oldest.value);
    }
  };

  return {
    /** Keeps an event of an unknown prompt (previews are too big and too stale to keep). */
    keep(promptId: string, ev: ComfyEvent): void {
      if (ev.type === 'preview') return;
      let entry = byPrompt.get(promptId);
      if (!entry) {
        entry = { at: now(), events: [] };
        byPrompt.set(promptId, entry);
        expire();
      }
      if (entry.events.length < MAX_EVENTS) entry.events.push(ev);
    },
    /** Hands over and forgets what arrived early for this prompt. */
    take(promptId: string): ComfyEvent[] {
      const entry = byPrompt.get(promptId);
      byPrompt.delete(promptId);
      return entry && now() - entry.at <= MAX_AGE_MS ? entry.events : [];
    },
    /** Forgets what arrived for this prompt (a copy the gateway removed, or a fresh dispatch). */
    drop(promptId: string): void {
      byPrompt.delete(promptId);
    },
    size: () => byPrompt.size,
  };
}
