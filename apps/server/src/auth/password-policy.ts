import { PASSWORD_MIN_LENGTH } from '@comfy-gateway/schema';
import { fieldError } from '../errors.ts';
import common from './common-passwords.json' with { type: 'json' };

// The ~1000 most used passwords (lower case); with the length rule, mostly their padded forms matter.
const COMMON = new Set<string>(common);

/** True for a common password, also with digits or symbols added at the end (`password1234!`). */
export function isCommonPassword(password: string): boolean {
  const lower = password.normalize('NFKC').toLowerCase();
  const base = lower.replace(/[^\p{L}]+$/u, '');
  return COMMON.has(lower) || COMMON.has(base);
}

/**
 * The password policy: at least 12 characters and not a common password. Throws a 400
 * VALIDATION_ERROR naming `field` (`password`, `new_password`).
 */
export function assertPasswordPolicy(password: string, field = 'password'): void {
  if ([...password].length < PASSWORD_MIN_LENGTH)
    throw fieldError(field, `password must have at least ${PASSWORD_MIN_LENGTH} characters`);
  if (isCommonPassword(password))
    throw fieldError(field, 'password is too common; choose one that is not on lists of leaked passwords');
}
