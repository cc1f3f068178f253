import { z } from 'zod';

/** Bounds on login input: the password is hashed with scrypt, so its length is capped before that. */
export const MAX_USERNAME_CHARS = 128;
export const MAX_PASSWORD_CHARS = 1024;

export const loginSchema = z.strictObject({
  username: z.string().min(1).max(MAX_USERNAME_CHARS),
  password: z.string().min(1).max(MAX_PASSWORD_CHARS),
});

export type LoginDto = z.infer<typeof loginSchema>;
