import { api } from './api';

/** The gateway's roles (README "Users and roles"; apps/gateway/src/auth/route-access.ts is the policy). */
export type Role = 'admin' | 'operator' | 'viewer';

/** What GET /api/auth/me answers. */
export interface Me {
  username: string;
  role: Role;
  kind: string;
}

/**
 * Controls the dashboard shows only to roles the gateway lets use them. Hiding is a courtesy: the gateway refuses
 * the call anyway (403 FORBIDDEN).
 */
export type Capability = 'ptz' | 'ack' | 'catalogSync' | 'watch' | 'roiEdit' | 'snapshot' | 'deviceEdit' | 'deviceDelete' | 'admin';

const OPERATE: readonly Capability[] = ['ptz', 'ack', 'catalogSync', 'watch', 'roiEdit', 'snapshot'];
const GRANTS: Record<Role, readonly Capability[]> = {
  viewer: [],
  operator: OPERATE,
  admin: [...OPERATE, 'deviceEdit', 'deviceDelete', 'admin'],
};

/** Pure: may `role` use `cap`? An unknown role may use nothing. */
export function roleMay(role: string | null | undefined, cap: Capability): boolean {
  return (GRANTS[role as Role] ?? []).includes(cap);
}

let me: Me | null = null;

/** The signed-in user, once loadMe() resolved; null before and after logout. */
export function currentUser(): Me | null {
  return me;
}

/** May the signed-in user use `cap`? False until GET /api/auth/me answered. */
export function can(cap: Capability): boolean {
  return roleMay(me?.role, cap);
}

/** Asks GET /api/auth/me (once per login). */
export async function loadMe(): Promise<Me> {
  me = await api<Me>('GET', '/api/auth/me');
  return me;
}

export function forgetMe(): void {
  me = null;
}
