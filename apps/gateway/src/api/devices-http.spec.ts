import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../common/gateway-error';
import { startApiTestApp, type ApiTestApp } from './testing/api-test-app';

const ID = '34020000001320000001';
const MISSING = '34020000001320000099';

describe('device routes', () => {
  let t: ApiTestApp;
  const call = (method: string, path: string, body?: unknown, raw?: string) =>
    fetch(`${t.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${t.token}`, ...(body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });

  beforeAll(async () => {
    t = await startApiTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(() => {
    t.devices.devices.clear();
    t.devices.channels.clear();
    t.devices.calls.length = 0;
    t.devices.failWith = undefined;
    t.devices.addDevice(ID, { name: 'Gate camera', channelCount: 1 });
    t.devices.channels.set(ID, [
      {
        channelId: '34020000001310000001',
        deviceId: ID,
        name: 'Camera 1',
        status: 'ON',
        parentId: ID,
        businessGroupId: null,
        kind: 'channel',
        isDirectory: false,
        civilCode: '340200',
        manufacturer: 'Hikvision',
        model: 'IPC',
        address: 'Gate',
        ipAddress: null,
        longitude: 121.5,
        latitude: 31.2,
        ptzType: 1,
      },
    ]);
  });

  it('GET /api/devices returns every device from the directory', async () => {
    const res = await call('GET', '/api/devices');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { deviceId: string; name: string }[];
    expect(body.map((d) => [d.deviceId, d.name])).toEqual([[ID, 'Gate camera']]);
  });

  it('GET /api/devices/:deviceId returns the device', async () => {
    const res = await call('GET', `/api/devices/${ID}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(t.devices.devices.get(ID));
  });

  it('GET /api/devices/:deviceId for an unknown device answers 404 DEVICE_NOT_FOUND', async () => {
    const res = await call('GET', `/api/devices/${MISSING}`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ statusCode: 404, code: 'DEVICE_NOT_FOUND', message: `Device ${MISSING} not found` });
  });

  it('every :deviceId route with a malformed id answers 400 naming deviceId and never calls the directory', async () => {
    const routes: [string, string][] = [
      ['GET', '/api/devices/cam_01'],
      ['GET', '/api/devices/cam-01/channels'],
      ['POST', `/api/devices/${'1'.repeat(33)}/catalog`],
      ['GET', '/api/devices/%20/status'],
      ['PATCH', '/api/devices/a.b'],
      ['DELETE', '/api/devices/-1'],
    ];
    for (const [method, path] of routes) {
      const res = await call(method, path, method === 'PATCH' ? {} : undefined);
      expect(res.status, `${method} ${path}`).toBe(400);
      const body = (await res.json()) as { code: string; message: string; errors: { field: string; message: string }[] };
      expect(body.code).toBe('VALIDATION_FAILED');
      expect(body.message).toBe('deviceId: must be a GB/T 28181 device ID: 20 digits, or 1-32 letters and digits');
      expect(body.errors).toEqual([{ field: 'deviceId', message: 'must be a GB/T 28181 device ID: 20 digits, or 1-32 letters and digits' }]);
    }
    expect(t.devices.calls).toEqual([]);
  });

  it('GET /api/devices/:deviceId/channels returns the channels; unknown device answers 404', async () => {
    const ok = await call('GET', `/api/devices/${ID}/channels`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual(t.devices.channels.get(ID));
    const missing = await call('GET', `/api/devices/${MISSING}/channels`);
    expect(missing.status).toBe(404);
  });

  it('POST /api/devices/:deviceId/catalog answers 202 with the query SN', async () => {
    const res = await call('POST', `/api/devices/${ID}/catalog`);
    expect(res.status).toBe(202);
    const { sn } = (await res.json()) as { sn: number };
    expect(Number.isInteger(sn)).toBe(true);
    expect(t.devices.calls).toEqual([{ method: 'syncCatalog', args: [ID] }]);
  });

  it('POST /api/devices/:deviceId/catalog for an offline device answers 409 DEVICE_OFFLINE', async () => {
    t.devices.addDevice(ID, { online: false });
    const res = await call('POST', `/api/devices/${ID}/catalog`);
    expect(res.status).toBe(409);
    expect(((await res.json()) as { code: string }).code).toBe('DEVICE_OFFLINE');
  });

  it('GET /api/devices/:deviceId/status returns the DeviceStatus result', async () => {
    const res = await call('GET', `/api/devices/${ID}/status`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { deviceId: string; status: string; raw: Record<string, unknown> };
    expect(body.deviceId).toBe(ID);
    expect(body.status).toBe('ON');
    expect(body.raw).toEqual({ Online: 'ONLINE', Status: 'OK' });
  });

  it('a DEVICE_TIMEOUT from the directory answers 504 with its code and message', async () => {
    t.devices.failWith = new GatewayError('DEVICE_TIMEOUT', 'Device did not answer within 5000 ms');
    const res = await call('GET', `/api/devices/${ID}/status`);
    expect(res.status).toBe(504);
    expect(await res.json()).toEqual({ statusCode: 504, code: 'DEVICE_TIMEOUT', message: 'Device did not answer within 5000 ms' });
  });

  it('an unexpected error from the directory answers 500 INTERNAL without its message or stack', async () => {
    t.devices.failWith = new Error('connection to db at 10.0.0.5 refused');
    const res = await call('GET', '/api/devices');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ statusCode: 500, code: 'INTERNAL', message: 'Internal server error' });
    expect(text).not.toMatch(/10\.0\.0\.5|at .*\.ts/);
  });

  it('PATCH /api/devices/:deviceId applies a valid patch and returns the device', async () => {
    const res = await call('PATCH', `/api/devices/${ID}`, { password: 's3cret', charset: 'GB18030', streamTransport: 'tcp-passive', name: '北门' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { charset: string; streamTransport: string; name: string; hasPassword: boolean };
    expect(body).toMatchObject({ charset: 'GB18030', streamTransport: 'tcp-passive', name: '北门', hasPassword: true });
    expect(t.devices.calls.at(-1)).toEqual({
      method: 'update',
      args: [ID, { password: 's3cret', charset: 'GB18030', streamTransport: 'tcp-passive', name: '北门' }],
    });
  });

  it('PATCH /api/devices/:deviceId with password null passes null through (clears the password)', async () => {
    const res = await call('PATCH', `/api/devices/${ID}`, { password: null });
    expect(res.status).toBe(200);
    expect(t.devices.calls.at(-1)).toEqual({ method: 'update', args: [ID, { password: null }] });
  });

  it('PATCH /api/devices/:deviceId with invalid values answers 400 naming each field', async () => {
    const cases: [unknown, string][] = [
      [{ charset: 'latin1' }, 'charset'],
      [{ streamTransport: 'quic' }, 'streamTransport'],
      [{ password: '' }, 'password'],
      [{ password: 'x'.repeat(65) }, 'password'],
      [{ password: 42 }, 'password'],
      [{ name: 7 }, 'name'],
      [{ name: 'n'.repeat(129) }, 'name'],
    ];
    for (const [body, field] of cases) {
      const res = await call('PATCH', `/api/devices/${ID}`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const err = (await res.json()) as { code: string; message: string; errors: { field: string }[] };
      expect(err.code).toBe('VALIDATION_FAILED');
      expect(err.message.startsWith(`${field}: `), err.message).toBe(true);
      expect(err.errors.map((e) => e.field)).toEqual([field]);
    }
    expect(t.devices.calls).toEqual([]);
  });

  it('PATCH /api/devices/:deviceId with an unknown key answers 400 naming the key', async () => {
    const res = await call('PATCH', `/api/devices/${ID}`, { name: 'ok', online: true });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      message: 'online: unknown field',
      errors: [{ field: 'online', message: 'unknown field' }],
    });
  });

  it('PATCH /api/devices/:deviceId with a JSON array or a non-JSON content type answers 400 naming the body', async () => {
    for (const [raw, type] of [
      ['[1,2]', 'application/json'],
      ['name=x', 'text/plain'],
    ]) {
      const res = await fetch(`${t.baseUrl}/api/devices/${ID}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${t.token}`, 'content-type': type },
        body: raw,
      });
      expect(res.status, type).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(/^body: /);
    }
    expect(t.devices.calls).toEqual([]);
  });

  it('PATCH /api/devices/:deviceId with malformed JSON answers 400 MALFORMED_JSON', async () => {
    const res = await call('PATCH', `/api/devices/${ID}`, undefined, '{"name": "x",}');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe('MALFORMED_JSON');
    expect(body.message).toMatch(/^Request body is not valid JSON/);
  });

  it('PATCH /api/devices/:deviceId with a body over 64 KiB answers 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await call('PATCH', `/api/devices/${ID}`, { name: 'x'.repeat(64 * 1024) });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE', message: 'Request body is too large' });
    expect(t.devices.calls).toEqual([]);
  });

  it('PATCH /api/devices/:deviceId with a body just under 64 KiB reaches validation (400 for the long name)', async () => {
    const res = await call('PATCH', `/api/devices/${ID}`, { name: 'x'.repeat(64 * 1024 - 20) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('VALIDATION_FAILED');
  });

  it('DELETE /api/devices/:deviceId answers 204 with no body, then the device is gone (404)', async () => {
    const res = await call('DELETE', `/api/devices/${ID}`);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    const again = await call('DELETE', `/api/devices/${ID}`);
    expect(again.status).toBe(404);
    expect(((await again.json()) as { code: string }).code).toBe('DEVICE_NOT_FOUND');
  });
});
