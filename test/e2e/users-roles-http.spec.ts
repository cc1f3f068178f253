import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Database } from '@gb/persistence';
import { DATABASE } from '../../apps/gateway/src/database/database.providers';
import { startTestGateway, TEST_ADMIN_PASSWORD, waitFor, type TestGateway } from '../support/gateway-harness';
import { startSimDevice } from '../support/sim-device';
import { channelId, type QueryEvent, type SimulatedDevice } from '../../apps/device-sim/src';

const PASSWORD = '12345678';

interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
}

/**
 * Users, roles and API keys over real HTTP against a whole gateway (embedded database) with a simulated camera over
 * UDP: who may do what (ROUTE_ACCESS), the last-admin rule, API keys and their revocation, hostile bodies, and the
 * audit log of control actions.
 */
describe('users, roles, API keys and the audit log (HTTP, simulated camera over UDP)', () => {
  let gw: TestGateway;
  let device: SimulatedDevice;
  const deviceId = '34020000001320000971';
  const channel = channelId(deviceId, 1);
  const controls: QueryEvent[] = [];
  const tokens: Record<string, string> = {};

  async function call<T = Record<string, unknown>>(bearer: string, method: string, path: string, body?: unknown): Promise<Reply<T>> {
    const r = await fetch(`${gw.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: (text ? JSON.parse(text) : null) as T };
  }

  async function login(username: string, password: string): Promise<string> {
    const r = await fetch(`${gw.httpUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    expect(r.status, `login ${username}`).toBe(200);
    return ((await r.json()) as { accessToken: string }).accessToken;
  }

  const ptzPath = `/api/devices/${deviceId}/channels/${channel}/ptz`;

  beforeAll(async () => {
    gw = await startTestGateway({ SIP_PASSWORD: PASSWORD });
    device = await startSimDevice(gw, { deviceId, password: PASSWORD, channels: 1, name: 'roles-sim' }, (d) =>
      d.on('query', (q: QueryEvent) => {
        if (q.cmdType === 'DeviceControl') controls.push(q);
      }),
    );
    tokens.admin = await login('admin', TEST_ADMIN_PASSWORD);
  }, 60_000);

  afterAll(async () => {
    await device?.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined);
    await gw?.stop();
  });

  it('an admin creates an operator and a viewer; GET /api/users lists roles and never a password; /api/auth/me says who is asking', async () => {
    for (const [username, role] of [['olga', 'operator'], ['victor', 'viewer']]) {
      const r = await call(tokens.admin, 'POST', '/api/users', { username, password: `${username}-password`, role });
      expect([r.status, r.body.username, r.body.role], JSON.stringify(r.body)).toEqual([201, username, role]);
    }
    const list = await call<Array<Record<string, unknown>>>(tokens.admin, 'GET', '/api/users');
    expect(list.body.map((u) => [u.username, u.role])).toEqual([['admin', 'admin'], ['olga', 'operator'], ['victor', 'viewer']]);
    expect(JSON.stringify(list.body)).not.toMatch(/password|scrypt/i);
    expect((await call(tokens.admin, 'POST', '/api/users', { username: 'olga', password: 'another-password', role: 'viewer' })).body.code).toBe('CONFLICT');
    tokens.operator = await login('olga', 'olga-password');
    tokens.viewer = await login('victor', 'victor-password');
    expect((await call(tokens.viewer, 'GET', '/api/auth/me')).body).toEqual({ username: 'victor', role: 'viewer', kind: 'user' });
    expect(JSON.parse(Buffer.from(tokens.viewer.split('.')[1], 'base64url').toString())).toMatchObject({ sub: 'victor', role: 'viewer' });
  });

  it('a viewer gets 200 for GET /api/devices and 403 FORBIDDEN for PTZ, alert ack and user changes; nothing reaches the camera', async () => {
    const devices = await call<Array<{ deviceId: string }>>(tokens.viewer, 'GET', '/api/devices');
    expect(devices.status).toBe(200);
    expect(devices.body.map((d) => d.deviceId)).toContain(deviceId);
    const before = controls.length;
    const ptz = await call(tokens.viewer, 'POST', ptzPath, { action: 'stop' });
    expect([ptz.status, ptz.body.code]).toEqual([403, 'FORBIDDEN']);
    const ack = await call(tokens.viewer, 'POST', '/api/alerts/00000000-0000-4000-8000-000000000001/ack');
    expect([ack.status, ack.body.code]).toEqual([403, 'FORBIDDEN']);
    for (const [method, path, body] of [['POST', '/api/users', { username: 'x', password: 'xxxxxxxx', role: 'admin' }], ['GET', '/api/audit'], ['POST', '/api/api-keys', { name: 'n', role: 'admin' }], ['DELETE', `/api/devices/${deviceId}`]] as const) {
      expect((await call(tokens.viewer, method, path, body)).status, `${method} ${path}`).toBe(403);
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(controls.length).toBe(before);
  });

  it('an operator acks an alert (ackedBy is the operator) and moves the camera; user routes stay 403 for it', async () => {
    const db = gw.app.get<Database>(DATABASE);
    const alert = await db.alerts.create({ channelId: channel, deviceId, roiId: 'frame', level: 'heavy', peakIndex: 70, raisedAt: new Date(), snapshotFile: null });
    const ack = await call(tokens.operator, 'POST', `/api/alerts/${alert.id}/ack`);
    expect([ack.status, ack.body.ackedBy], JSON.stringify(ack.body)).toEqual([200, 'olga']);
    const ptz = await call(tokens.operator, 'POST', ptzPath, { action: 'move', pan: 1, speed: 100 });
    expect(ptz.status, JSON.stringify(ptz.body)).toBe(200);
    await waitFor('the PTZ at the camera', () => controls.length > 0, 5000);
    expect((await call(tokens.operator, 'GET', '/api/users')).status).toBe(403);
  });

  it('an API key (viewer) works for GET /api/devices, the event WebSocket and /api/docs-json, is listed without its secret, and is refused with 401 once revoked', async () => {
    const created = await call<{ id: string; key: string; prefix: string }>(tokens.admin, 'POST', '/api/api-keys', { name: 'vms integration', role: 'viewer' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const { id, key } = created.body;
    expect(key).toMatch(/^gbk_[A-Za-z0-9_-]{43}$/);
    expect((await call(key, 'GET', '/api/devices')).status).toBe(200);
    expect((await call(key, 'GET', '/api/auth/me')).body).toEqual({ username: 'key:vms integration', role: 'viewer', kind: 'key' });
    expect((await call(key, 'POST', ptzPath, { action: 'stop' })).status).toBe(403);
    expect((await call(key, 'GET', '/api/docs-json')).status).toBe(200);
    const ws = new WebSocket(`${gw.httpUrl.replace('http', 'ws')}/api/events?access_token=${key}`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.close();
    const list = await call<Array<Record<string, unknown>>>(tokens.admin, 'GET', '/api/api-keys');
    expect(list.body).toEqual([expect.objectContaining({ id, name: 'vms integration', role: 'viewer', prefix: key.slice(0, 8), createdBy: 'admin' })]);
    expect(JSON.stringify(list.body)).not.toContain(key.slice(8));
    expect((await call(tokens.admin, 'DELETE', `/api/api-keys/${id}`)).status).toBe(204);
    const refused = await call(key, 'GET', '/api/devices');
    expect([refused.status, refused.body.code]).toEqual([401, 'UNAUTHORIZED']);
    expect((await call(tokens.admin, 'DELETE', `/api/api-keys/${id}`)).status).toBe(404);
    expect((await call(tokens.admin, 'DELETE', '/api/api-keys/not-a-uuid')).status).toBe(400);
  });

  it('the last admin can be neither deleted nor demoted (409 CONFLICT); with a second admin it can; a deleted user\'s token gets 401', async () => {
    for (const [method, body] of [['DELETE', undefined], ['PATCH', { role: 'operator' }]] as const) {
      const r = await call(tokens.admin, method, '/api/users/admin', body);
      expect([r.status, r.body.code], method).toEqual([409, 'CONFLICT']);
    }
    expect((await call(tokens.admin, 'POST', '/api/users', { username: 'ada', password: 'ada-password', role: 'admin' })).status).toBe(201);
    const ada = await login('ada', 'ada-password');
    expect((await call(ada, 'PATCH', '/api/users/victor', { role: 'operator', password: 'victor-new-password' })).body).toMatchObject({ username: 'victor', role: 'operator' });
    expect((await call(tokens.viewer, 'GET', '/api/auth/me')).body).toMatchObject({ role: 'operator' });
    expect((await call(ada, 'DELETE', '/api/users/victor')).status).toBe(204);
    expect((await call(tokens.viewer, 'GET', '/api/devices')).status).toBe(401);
    expect((await call(ada, 'DELETE', '/api/users/victor')).status).toBe(404);
    // With ada an admin, admin may be demoted; then ada is the last one.
    expect((await call(ada, 'PATCH', '/api/users/admin', { role: 'viewer' })).status).toBe(200);
    expect((await call(tokens.admin, 'GET', '/api/users')).status).toBe(403);
    expect((await call(ada, 'DELETE', '/api/users/ada')).status).toBe(409);
    expect((await call(ada, 'PATCH', '/api/users/admin', { role: 'admin' })).status).toBe(200);
    expect((await call(ada, 'DELETE', '/api/users/ada')).status).toBe(204);
  });

  it('hostile bodies (oversized, wrong types, unknown role, long or odd user names, unknown fields) get 400 VALIDATION_FAILED with the field', async () => {
    const cases: Array<[string, string, unknown, string]> = [
      ['POST', '/api/users', { username: 'a'.repeat(65), password: 'long-enough', role: 'viewer' }, 'username'],
      ['POST', '/api/users', { username: 'bad name/..', password: 'long-enough', role: 'viewer' }, 'username'],
      ['POST', '/api/users', { username: 'root', password: 'long-enough', role: 'root' }, 'role'],
      ['POST', '/api/users', { username: 'root', password: 12345678, role: 'viewer' }, 'password'],
      ['POST', '/api/users', { username: 'root', password: 'short', role: 'viewer' }, 'password'],
      ['POST', '/api/users', { username: 'root', password: 'x'.repeat(1025), role: 'viewer' }, 'password'],
      ['POST', '/api/users', { username: 'root', password: 'long-enough', role: 'viewer', isAdmin: true }, 'isAdmin'],
      ['POST', '/api/users', ['root', 'long-enough', 'viewer'], 'body'],
      ['PATCH', '/api/users/olga', {}, 'body'],
      ['PATCH', '/api/users/olga', { role: ['admin'] }, 'role'],
      ['PATCH', `/api/users/${'o'.repeat(65)}`, { role: 'viewer' }, 'username'],
      ['POST', '/api/api-keys', { name: '', role: 'viewer' }, 'name'],
      ['POST', '/api/api-keys', { name: 'n', role: 'superuser' }, 'role'],
      ['POST', '/api/api-keys', { name: 'n'.repeat(65), role: 'viewer' }, 'name'],
    ];
    for (const [method, path, body, field] of cases) {
      const r = await call<{ code: string; errors?: Array<{ field: string }> }>(tokens.admin, method, path, body);
      expect([r.status, r.body.code], `${method} ${path} ${JSON.stringify(body).slice(0, 60)}`).toEqual([400, 'VALIDATION_FAILED']);
      expect(r.body.errors?.map((e) => e.field), JSON.stringify(r.body)).toContain(field);
    }
    const huge = await call(tokens.admin, 'POST', '/api/users', { username: 'big', password: 'p'.repeat(100_000), role: 'viewer' });
    expect([huge.status, huge.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    expect((await call(tokens.admin, 'GET', '/api/audit?limit=0')).status).toBe(400);
    expect((await call(tokens.admin, 'GET', '/api/audit?limit=1001')).status).toBe(400);
    expect((await call(tokens.admin, 'GET', '/api/users')).body).toHaveLength(2);
  });

  it('GET /api/audit lists the PTZ, the refused PTZ, the ack and the user and key changes with actor, target and outcome, newest first', async () => {
    const r = await call<Array<Record<string, unknown>>>(tokens.admin, 'GET', '/api/audit?limit=1000');
    expect(r.status).toBe(200);
    const rows = r.body;
    const times = rows.map((e) => Date.parse(e.at as string));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const find = (action: string, outcome: string, actor: string, target?: string) =>
      rows.find((e) => e.action === action && e.outcome === outcome && e.actor === actor && (!target || e.target === target));
    expect(find('device.ptz', 'ok', 'olga')).toMatchObject({ role: 'operator', target: `${deviceId}/${channel}`, detail: 'action=move' });
    expect(find('device.ptz', 'FORBIDDEN', 'victor')).toMatchObject({ role: 'viewer', target: `${deviceId}/${channel}` });
    expect(find('device.ptz', 'FORBIDDEN', 'key:vms integration')).toBeTruthy();
    expect(find('alert.ack', 'ok', 'olga')).toBeTruthy();
    expect(find('user.create', 'ok', 'admin', 'olga')).toMatchObject({ detail: 'role=operator username=olga' });
    expect(find('user.create', 'ok', 'admin', 'ada')).toMatchObject({ detail: 'role=admin username=ada' });
    expect(find('user.create', 'CONFLICT', 'admin')).toMatchObject({ target: 'olga' });
    expect(find('user.update', 'ok', 'ada', 'victor')).toMatchObject({ detail: 'role=operator' });
    expect(find('user.delete', 'CONFLICT', 'admin', 'admin')).toBeTruthy();
    expect(find('user.update', 'CONFLICT', 'admin', 'admin')).toMatchObject({ detail: 'role=operator' });
    expect(find('user.delete', 'ok', 'ada', 'victor')).toBeTruthy();
    expect(find('api-key.create', 'ok', 'admin')).toMatchObject({ target: 'vms integration', detail: 'role=viewer name=vms integration' });
    expect(find('api-key.revoke', 'ok', 'admin')).toBeTruthy();
    expect(JSON.stringify(rows)).not.toMatch(/password|gbk_/);
    expect((await call<unknown[]>(tokens.admin, 'GET', '/api/audit?limit=2')).body).toHaveLength(2);
  });
});
