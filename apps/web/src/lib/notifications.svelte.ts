export type ToastKind = 'info' | 'success' | 'warning' | 'error';

export interface Toast {
  id: number;
  kind: ToastKind;
  message: string;
  /** Toasts with the same key replace each other (retry counters, progress). */
  key?: string;
}

/** What the composable needs to tell the user something. */
export interface Notifier {
  notify(kind: ToastKind, message: string, opts?: { key?: string; timeoutMs?: number }): void;
  dismiss(key: string): void;
}

const DEFAULT_TIMEOUT: Record<ToastKind, number> = { info: 4000, success: 4000, warning: 6000, error: 9000 };

/** The global toast list; `current` is what the Toaster renders. */
export class Notifications implements Notifier {
  #items = $state<Toast[]>([]);
  #nextId = 1;
  // Timers are bookkeeping, not UI state.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #timers = new Map<number, ReturnType<typeof setTimeout>>();

  get current(): readonly Toast[] {
    return this.#items;
  }

  notify(kind: ToastKind, message: string, opts: { key?: string; timeoutMs?: number } = {}): void {
    if (opts.key) this.dismiss(opts.key);
    const toast: Toast = { id: this.#nextId++, kind, message, ...(opts.key ? { key: opts.key } : {}) };
    this.#items = [...this.#items.slice(-4), toast];
    const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT[kind];
    if (timeout > 0)
      this.#timers.set(
        toast.id,
        setTimeout(() => this.remove(toast.id), timeout),
      );
  }

  dismiss(key: string): void {
    for (const t of this.#items) if (t.key === key) this.remove(t.id);
  }

  remove(id: number): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
    this.#items = this.#items.filter((t) => t.id !== id);
  }
}

export const notifications = new Notifications();
