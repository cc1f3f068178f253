/**
 * What each role may use in the dashboard, DOM-free (a Node spec imports it). The gateway's policy is
 * apps/gateway/src/auth/route-access.ts (README "Users and roles"); hiding is a courtesy, the gateway refuses anyway.
 */
export type Role = 'admin' | 'operator' | 'viewer';

export type Capability = 'ptz' | 'ack' | 'catalogSync' | 'watch' | 'roiEdit' | 'snapshot' | 'deviceEdit' | 'deviceDelete' | 'platformEdit' | 'proxyEdit' | 'admin';

const OPERATE: readonly Capability[] = ['ptz', 'ack', 'catalogSync', 'watch', 'roiEdit', 'snapshot'];
const GRANTS: Record<Role, readonly Capability[]> = {
  viewer: [],
  operator: OPERATE,
  admin: [...OPERATE, 'deviceEdit', 'deviceDelete', 'platformEdit', 'proxyEdit', 'admin'],
};

/** May `role` use `cap`? An unknown role may use nothing. */
export function roleMay(role: string | null | undefined, cap: Capability): boolean {
  return (GRANTS[role as Role] ?? []).includes(cap);
}
