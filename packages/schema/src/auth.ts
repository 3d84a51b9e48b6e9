import * as z from 'zod';

export const roleSchema = z.enum(['admin', 'user']);
export type Role = z.infer<typeof roleSchema>;

export const emailSchema = z.string().trim().toLowerCase().pipe(z.email()).pipe(z.string().max(254));
export const passwordSchema = z.string().min(8, 'password must have at least 8 characters').max(1024);

export const userSchema = z.object({
  id: z.int(),
  email: z.string(),
  role: roleSchema,
  active: z.boolean(),
  created_at: z.number(),
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
  })
  .refine((p) => Object.keys(p).length > 0, 'nothing to change');
export type PatchUserInput = z.infer<typeof patchUserInputSchema>;

export const apiTokenSchema = z.object({
  id: z.int(),
  name: z.string(),
  /** First characters of the token, to recognise it; the token itself is shown once. */
  prefix: z.string(),
  created_at: z.number(),
  last_used_at: z.number().nullable(),
  expires_at: z.number().nullable(),
});
export type ApiToken = z.infer<typeof apiTokenSchema>;

export const createApiTokenInputSchema = z.object({
  name: z.string().trim().min(1).max(100),
  expires_in_days: z.int().min(1).max(3650).optional(),
});
export const createdApiTokenSchema = apiTokenSchema.extend({ token: z.string() });
export type CreatedApiToken = z.infer<typeof createdApiTokenSchema>;

/** List routes answer `{items}` objects, so fields can be added without breaking clients. */
export const userListSchema = z.object({ items: z.array(userSchema) });
export type UserList = z.infer<typeof userListSchema>;
export const apiTokenListSchema = z.object({ items: z.array(apiTokenSchema) });
export type ApiTokenList = z.infer<typeof apiTokenListSchema>;
