import { createSubscriber } from 'svelte/reactivity';
import { errorMessage } from '@comfy-gateway/client';

/**
 * A value kept fresh by polling while anything reads `current`: polling starts with the first
 * reader and stops when the last one goes (createSubscriber).
 */
export class Poller<T> {
  #value = $state<T | null>(null);
  #error = $state<string | null>(null);
  #loading = $state(false);
  #subscribe: () => void;
  #load: () => Promise<T>;
  #inFlight: Promise<void> | null = null;

  constructor(load: () => Promise<T>, intervalMs: number) {
    this.#load = load;
    this.#subscribe = createSubscriber(() => {
      void this.refresh();
      const timer = setInterval(() => void this.refresh(), intervalMs);
      return () => clearInterval(timer);
    });
  }

  /** The latest value (null before the first answer). */
  get current(): T | null {
    this.#subscribe();
    return this.#value;
  }

  get error(): string | null {
    this.#subscribe();
    return this.#error;
  }

  get loading(): boolean {
    return this.#loading;
  }

  /** Loads now; concurrent calls share one request. */
  refresh(): Promise<void> {
    this.#inFlight ??= (async () => {
      this.#loading = true;
      try {
        this.#value = await this.#load();
        this.#error = null;
      } catch (err) {
        this.#error = errorMessage(err);
      } finally {
        this.#loading = false;
        this.#inFlight = null;
      }
    })();
    return this.#inFlight;
  }
}
