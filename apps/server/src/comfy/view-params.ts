import { imageTypeSchema } from '@comfy-gateway/schema';
import type { ImageRef } from '@comfy-gateway/schema';
import { fieldError } from '../errors.ts';

// Dots and slashes that NFKC folds to ASCII ones (fullwidth, one-dot leader, ...).
const DANGEROUS = /(^|\/)\.\.(\/|$)|\\|\0|^\/|^[a-zA-Z]:/;

/** Undoes percent-encoding until it is stable, so `%252e%252e` is judged as `..`. */
function fullyDecode(value: string): string {
  let current = value;
  for (let i = 0; i < 5; i++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      return current;
    }
    if (next === current) return current;
    current = next;
  }
  return current;
}

/** Why a path part is unsafe, or null; checks the raw, decoded and NFKC-normalised forms. */
export function pathProblem(value: string, { allowSlash }: { allowSlash: boolean }): string | null {
  for (const form of new Set([value, fullyDecode(value), fullyDecode(value).normalize('NFKC')])) {
    if (form.includes('\0')) return 'must not contain NUL';
    if (form.includes('\\')) return 'must not contain backslashes';
    if (DANGEROUS.test(form)) return 'must be a relative path without ".." segments';
    if (!allowSlash && form.includes('/')) return 'must be a file name, not a path';
    if ([...form].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
      return 'must not contain control characters';
  }
  return null;
}

/** Validates `/view` query parameters into an image reference (400 naming the field). */
export function parseViewParams(query: Record<string, unknown>): ImageRef {
  const { filename, subfolder = '', type = 'output', backend } = query;
  if (typeof filename !== 'string' || filename.length === 0) throw fieldError('filename', 'is required');
  if (filename.length > 255) throw fieldError('filename', 'is too long');
  if (typeof subfolder !== 'string') throw fieldError('subfolder', 'must be a single string');
  if (subfolder.length > 255) throw fieldError('subfolder', 'is too long');
  const t = imageTypeSchema.safeParse(type);
  if (!t.success) throw fieldError('type', 'must be one of output, input, temp');
  const badName = pathProblem(filename, { allowSlash: false });
  // ComfyUI itself refuses any ".." in a file name; so do we, in every decoded form.
  const dots = [filename, fullyDecode(filename).normalize('NFKC')].some((f) => f.includes('..') || f === '.');
  if (badName || dots) throw fieldError('filename', badName ?? 'must not contain ".."');
  const badFolder = subfolder === '' ? null : pathProblem(subfolder, { allowSlash: true });
  if (badFolder) throw fieldError('subfolder', badFolder);
  if (backend !== undefined && (typeof backend !== 'string' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(backend)))
    throw fieldError('backend', 'must be a server name');
  return { filename, subfolder, type: t.data, ...(backend !== undefined ? { backend } : {}) };
}
