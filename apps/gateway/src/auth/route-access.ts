import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import type { Role } from './roles';

/** Who may call a route, and the audit action it is recorded under (control actions only). */
export interface RouteAccess {
  roles: readonly Role[];
  audit?: string;
}

const VIEW: readonly Role[] = ['admin', 'operator', 'viewer'];
const OPERATE: readonly Role[] = ['admin', 'operator'];
const ADMIN: readonly Role[] = ['admin'];

/**
 * Every API route (without the /api prefix) and its roles; @Public() routes (health, login, media, dashboard files)
 * are not listed. One place for the whole policy: route-access.spec.ts walks every controller and fails for a route
 * missing here (or listed here but gone). A route missing anyway is admin-only (ADMIN_ONLY below).
 *
 *   viewer:   read-only lists, live and playback (play, playback, pause/seek/speed), the event WebSocket
 *   operator: + PTZ, catalog re-sync, alert ack, watches and ROIs, snapshots, downloads, stopping streams
 *   admin:    + device edits and deletes, lifting SIP bans, users, API keys, the audit log, superior platforms, stream proxies
 */
export const ROUTE_ACCESS: Readonly<Record<string, RouteAccess>> = {
  'GET /auth/me': { roles: VIEW },

  'GET /devices': { roles: VIEW },
  'GET /devices/:deviceId': { roles: VIEW },
  'GET /devices/:deviceId/channels': { roles: VIEW },
  'GET /devices/:deviceId/status': { roles: VIEW },
  'GET /channels': { roles: VIEW },
  'POST /devices/:deviceId/catalog': { roles: OPERATE, audit: 'device.catalog' },
  'PATCH /devices/:deviceId': { roles: ADMIN, audit: 'device.update' },
  'DELETE /devices/:deviceId': { roles: ADMIN, audit: 'device.delete' },
  'GET /nodes': { roles: VIEW },
  'GET /device-alarms': { roles: VIEW },
  'POST /device-alarms/:id/acknowledge': { roles: OPERATE, audit: 'device-alarm.acknowledge' },
  'POST /device-alarms/:id/clear': { roles: OPERATE, audit: 'device-alarm.clear' },
  'POST /devices/:deviceId/alarm-reset': { roles: OPERATE, audit: 'device.alarm-reset' },
  'POST /devices/:deviceId/guard': { roles: OPERATE, audit: 'device.guard' },
  'POST /devices/:deviceId/control': { roles: OPERATE, audit: 'device.control' },
  'POST /devices/:deviceId/reboot': { roles: ADMIN, audit: 'device.reboot' },
  'GET /devices/:deviceId/channels/:channelId/presets': { roles: OPERATE },
  'GET /devices/:deviceId/config': { roles: OPERATE },
  'PUT /devices/:deviceId/config': { roles: ADMIN, audit: 'device.config' },
  'GET /channels/:channelId/positions': { roles: VIEW },
  'GET /devices/:deviceId/subscriptions': { roles: VIEW },
  'PUT /devices/:deviceId/subscriptions': { roles: ADMIN, audit: 'device.subscriptions' },
  'GET /registration-failures': { roles: VIEW },
  'DELETE /registration-failures': { roles: ADMIN, audit: 'sip.bans.clear' },

  'POST /devices/:deviceId/channels/:channelId/ptz': { roles: OPERATE, audit: 'device.ptz' },
  'GET /voice': { roles: OPERATE },
  'POST /voice': { roles: OPERATE, audit: 'voice.start' },
  'DELETE /voice/:id': { roles: OPERATE, audit: 'voice.stop' },
  'POST /devices/:deviceId/channels/:channelId/play': { roles: VIEW },
  'POST /devices/:deviceId/channels/:channelId/playback': { roles: VIEW },
  'POST /streams/:streamId/control': { roles: VIEW },
  'GET /streams': { roles: VIEW },
  // A stream is shared by every viewer of the channel: stopping it cuts them all. A viewer's stream ends by itself
  // STREAM_IDLE_TIMEOUT_MS after its last viewer leaves.
  'DELETE /streams/:streamId': { roles: OPERATE, audit: 'stream.stop' },

  'GET /devices/:deviceId/channels/:channelId/records': { roles: VIEW },
  'GET /devices/:deviceId/channels/:channelId/snapshot': { roles: OPERATE },
  'POST /devices/:deviceId/channels/:channelId/downloads': { roles: OPERATE, audit: 'download.start' },
  'GET /downloads': { roles: VIEW },
  'GET /downloads/:id': { roles: VIEW },
  'GET /downloads/:id/file': { roles: OPERATE },
  'DELETE /downloads/:id': { roles: OPERATE, audit: 'download.delete' },

  'GET /congestion': { roles: VIEW },
  'GET /congestion/:channelId/history': { roles: VIEW },
  'GET /record-plans': { roles: VIEW },
  'GET /channels/:channelId/record-plan': { roles: VIEW },
  'PUT /channels/:channelId/record-plan': { roles: ADMIN, audit: 'recording.plan' },
  'DELETE /channels/:channelId/record-plan': { roles: ADMIN, audit: 'recording.plan.delete' },
  'GET /channels/:channelId/recordings': { roles: VIEW },
  'GET /channels/:channelId/recordings/download': { roles: VIEW },
  'GET /channels/:channelId/rois': { roles: VIEW },
  'PUT /channels/:channelId/rois': { roles: OPERATE, audit: 'congestion.rois' },
  'POST /channels/:channelId/watch': { roles: OPERATE, audit: 'congestion.watch' },
  'DELETE /channels/:channelId/watch': { roles: OPERATE, audit: 'congestion.unwatch' },
  'GET /alerts': { roles: VIEW },
  'POST /alerts/:id/ack': { roles: OPERATE, audit: 'alert.ack' },
  'GET /alerts/:id/snapshot': { roles: VIEW },

  // Map page: anyone may look; operators place the plan and channels; the tile server is admin's (the gateway fetches it).
  'GET /map/plan': { roles: VIEW },
  'GET /map/plan/info': { roles: VIEW },
  'PUT /map/plan': { roles: OPERATE, audit: 'map.plan' },
  'GET /map/settings': { roles: VIEW },
  'PUT /map/settings': { roles: ADMIN, audit: 'map.settings' },
  'GET /map/positions': { roles: VIEW },
  'PUT /map/positions/:channelId': { roles: OPERATE, audit: 'map.position' },
  'DELETE /map/positions/:channelId': { roles: OPERATE, audit: 'map.position.delete' },
  'GET /map/tiles/:z/:x/:y': { roles: VIEW },

  // Superior platforms (cascade): anyone may see the registration state; only admins add, edit or remove them.
  'GET /platforms': { roles: VIEW },
  'GET /platforms/:id': { roles: VIEW },
  'GET /platforms/:id/sessions': { roles: VIEW },
  'POST /platforms': { roles: ADMIN, audit: 'platform.create' },
  'PATCH /platforms/:id': { roles: ADMIN, audit: 'platform.update' },
  'DELETE /platforms/:id': { roles: ADMIN, audit: 'platform.delete' },

  // Stream proxies (channels whose source is a URL): anyone may see them and their state; only admins add, edit or remove them.
  'GET /proxies': { roles: VIEW },
  'GET /proxies/:id': { roles: VIEW },
  'POST /proxies': { roles: ADMIN, audit: 'proxy.create' },
  'PATCH /proxies/:id': { roles: ADMIN, audit: 'proxy.update' },
  'DELETE /proxies/:id': { roles: ADMIN, audit: 'proxy.delete' },

  'GET /users': { roles: ADMIN },
  'POST /users': { roles: ADMIN, audit: 'user.create' },
  'PATCH /users/:username': { roles: ADMIN, audit: 'user.update' },
  'DELETE /users/:username': { roles: ADMIN, audit: 'user.delete' },
  'GET /api-keys': { roles: ADMIN },
  'POST /api-keys': { roles: ADMIN, audit: 'api-key.create' },
  'DELETE /api-keys/:id': { roles: ADMIN, audit: 'api-key.revoke' },
  'GET /audit': { roles: ADMIN },
};

/** For a route the table does not list: safe by default. */
export const ADMIN_ONLY: RouteAccess = { roles: ADMIN };

function pathsOf(target: object): string[] {
  const p = Reflect.getMetadata(PATH_METADATA, target) as string | string[] | undefined;
  return (Array.isArray(p) ? p : [p ?? '']).map((s) => s.replace(/^\/+|\/+$/g, ''));
}

/** `METHOD /controller/handler` of a controller method, as ROUTE_ACCESS keys it (first path when there are several). */
export function routeKeyOf(controller: object, handler: object): string {
  const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod] ?? 'GET';
  const path = [pathsOf(controller)[0], pathsOf(handler)[0]].filter(Boolean).join('/');
  return `${method} /${path}`;
}

const cache = new WeakMap<object, RouteAccess>();

/** The access rule of a handler (cached per handler). */
export function routeAccessOf(controller: object, handler: object): RouteAccess {
  let a = cache.get(handler);
  if (!a) {
    a = ROUTE_ACCESS[routeKeyOf(controller, handler)] ?? ADMIN_ONLY;
    cache.set(handler, a);
  }
  return a;
}
