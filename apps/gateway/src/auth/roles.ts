/**
 * Roles, from most to least power. `admin` may do everything; what `operator` and `viewer` may do is listed per
 * route in route-access.ts (and in the README's "Users and roles" table).
 */
export const ROLES = ['admin', 'operator', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(s: unknown): s is Role {
  return typeof s === 'string' && (ROLES as readonly string[]).includes(s);
}

/** Who a request comes from, once its bearer token or API key is verified. */
export interface Principal {
  /** User name, or `key:<name>` for an API key. */
  sub: string;
  /** The role now stored for the user or key (not the one the token was issued with). */
  role: Role;
  kind: 'user' | 'key';
  /** Seconds since the epoch; for an API key, the end of this verification's validity (see AuthService.verify). */
  exp: number;
  iat?: number;
}
