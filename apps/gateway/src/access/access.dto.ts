import type { AuditEvent } from '../auth/audit-sink';
import { MAX_AUDIT_LISTED } from '@gb/persistence';
import { z } from 'zod';
import { MAX_PASSWORD_CHARS } from '../api/auth.dto';
import { ROLES } from '../auth/roles';

/** User names: 1-64 of letters, digits and `._@-` (they appear in tokens, URLs and the audit log). */
export const MAX_USER_NAME_CHARS = 64;
/** Passwords set through the API; login itself accepts any length up to MAX_PASSWORD_CHARS. */
export const MIN_NEW_PASSWORD_CHARS = 8;
export const MAX_API_KEY_NAME_CHARS = 64;

export const usernameSchema = z.string().min(1).max(MAX_USER_NAME_CHARS).regex(/^[A-Za-z0-9._@-]+$/, 'letters, digits and . _ @ - only');
const passwordSchema = z.string().min(MIN_NEW_PASSWORD_CHARS).max(MAX_PASSWORD_CHARS);
const roleSchema = z.enum(ROLES);

export const createUserSchema = z.strictObject({ username: usernameSchema, password: passwordSchema, role: roleSchema });
export const updateUserSchema = z
  .strictObject({ password: passwordSchema.optional(), role: roleSchema.optional() })
  .refine((p) => p.password !== undefined || p.role !== undefined, { message: 'give password, role or both' });
export const createApiKeySchema = z.strictObject({
  name: z.string().min(1).max(MAX_API_KEY_NAME_CHARS).regex(/^[A-Za-z0-9 ._@-]+$/, 'letters, digits, space and . _ @ - only'),
  role: roleSchema,
});
export const apiKeyIdSchema = z.uuid();
export const auditQuerySchema = z.strictObject({ limit: z.coerce.number().int().min(1).max(MAX_AUDIT_LISTED).default(100) });

export type CreateUserDto = z.output<typeof createUserSchema>;
export type UpdateUserDto = z.output<typeof updateUserSchema>;
export type CreateApiKeyDto = z.output<typeof createApiKeySchema>;

export interface UserDto {
  username: string;
  role: string;
  createdAt: string;
  updatedAt: string;
}

export interface ApiKeyDto {
  id: string;
  name: string;
  role: string;
  /** First characters of the key, to tell keys apart. */
  prefix: string;
  createdBy: string;
  createdAt: string;
}

/** An audited action as the API lists it: the edge's AuditEvent with an ISO time and the node that recorded it. */
export type AuditEntryDto = Omit<AuditEvent, 'at'> & { at: string; nodeId: string | null };
