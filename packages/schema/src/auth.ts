import * as z from 'zod';

export const roleSchema = z.enum(['admin', 'user']);
export type Role = z.infer<typeof roleSchema>;

export const emailSchema = z.string().trim().toLowerCase().pipe(z.email()).pipe(z.string().max(254));
/** Length rule of the password policy; the server also refuses common passwords. */
export const PASSWORD_MIN_LENGTH = 12;
export const passwordSchema = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `password must have at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(1024);

export const userSchema = z.object({
  id: z.int(),
  email: z.string(),
  role: roleSchema,
  active: z.boolean(),
  created_at: z.number(),
  /** This user's cap on unfinished jobs; null: the server default (USER_MAX_ACTIVE_JOBS). */
  max_active_jobs: z.int().nullable().optional(),
});
export type User = z.infer<typeof userSchema>;

export const loginInputSchema = z.object({ email: emailSchema, password: z.string().min(1).max(1024) });
export type LoginInput = z.infer<typeof loginInputSchema>;

export const loginResponseSchema = z.object({ token: z.string(), user: userSchema, expires_at: z.number() });
export type LoginResponse = z.infer<typeof loginResponseSchema>;

export const createUserInputSchema = z.object({
  email: emailSchema,
  password: passwordSchema,
  role: roleSchema.default('user'),
});
export type CreateUserInput = z.infer<typeof createUserInputSchema>;

export const patchUserInputSchema = z
  .object({
    active: z.boolean().optional(),
    role: roleSchema.optional(),
    password: passwordSchema.optional(),
    /** Cap on this user's unfinished jobs; null restores the server default. */
    max_active_jobs: z.int().min(0).max(100_000).nullable().optional(),
  })
  .refine((p) => Object.keys(p).length > 0, 'nothing to change');
export type PatchUserInput = z.infer<typeof patchUserInputSchema>;

/** What an API token may do: `read` (queries), `generate` (every write), `admin` (user management). */
export const tokenScopeSchema = z.enum(['read', 'generate', 'admin']);
export type TokenScope = z.infer<typeof tokenScopeSchema>;
export const DEFAULT_TOKEN_SCOPES: readonly TokenScope[] = ['read', 'generate'];

export const apiTokenSchema = z.object({
  id: z.int(),
  name: z.string(),
  /** First characters of the token, to recognise it; the token itself is shown once. */
  prefix: z.string(),
  created_at: z.number(),
  last_used_at: z.number().nullable(),
  expires_at: z.number().nullable(),
  scopes: z.array(tokenScopeSchema),
});
export type ApiToken = z.infer<typeof apiTokenSchema>;

export const createApiTokenInputSchema = z.object({
  name: z.string().trim().min(1).max(100),
  /** Absent: the server's default (`TOKEN_DEFAULT_EXPIRY_DAYS`). */
  expires_in_days: z.int().min(1).max(3650).optional(),
  /** Absent: `read` + `generate`; `admin` only for admins. */
  scopes: z
    .array(tokenScopeSchema)
    .min(1, 'choose at least one scope')
    .refine((s) => new Set(s).size === s.length, 'scopes must not repeat')
    .optional(),
});
export type CreateApiTokenInput = z.infer<typeof createApiTokenInputSchema>;
export const createdApiTokenSchema = apiTokenSchema.extend({ token: z.string() });
export type CreatedApiToken = z.infer<typeof createdApiTokenSchema>;

export const changePasswordInputSchema = z.object({
  current_password: z.string().min(1).max(1024),
  new_password: passwordSchema,
});
export type ChangePasswordInput = z.infer<typeof changePasswordInputSchema>;
