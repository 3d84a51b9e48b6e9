import type { FieldErrors } from '@comfy-gateway/schema';

const under = (key: string) => (k: string) => k === key || k.startsWith(`${key}.`);

/** The generate form's per-field errors and suggestions; nested keys (`loras.1`) belong to their field. */
export class FormErrors {
  #errors = $state<FieldErrors>({});
  #suggestions = $state<Record<string, string[]>>({});

  /** Errors of one field, including nested ones. */
  of(key: string): string[] {
    return Object.entries(this.#errors).flatMap(([k, v]) => (under(key)(k) ? v : []));
  }

  suggestionsOf(key: string): string[] {
    return Object.entries(this.#suggestions).flatMap(([k, v]) => (under(key)(k) ? v : []));
  }

  /** Errors whose field the form does not show (so the summary lists them). */
  outside(known: ReadonlySet<string>): [string, string[]][] {
    return Object.entries(this.#errors).filter(([k]) => !known.has(k.split('.')[0] ?? k));
  }

  get any(): boolean {
    return Object.keys(this.#errors).length > 0;
  }

  set(errors: FieldErrors, suggestions: Record<string, string[]> = {}): void {
    this.#errors = errors;
    this.#suggestions = suggestions;
  }

  /** Forgets one field's errors once the user edits it. */
  clear(key: string): void {
    const match = under(key);
    if (!Object.keys(this.#errors).some(match)) return;
    this.#errors = Object.fromEntries(Object.entries(this.#errors).filter(([k]) => !match(k)));
    this.#suggestions = Object.fromEntries(Object.entries(this.#suggestions).filter(([k]) => !match(k)));
  }
}
