import { api } from './api';
import { roleMay, type Capability, type Role } from './role-policy';

export { roleMay, type Capability, type Role };

/** What GET /api/auth/me answers. */
export interface Me {
  username: string;
  role: Role;
  kind: string;
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
