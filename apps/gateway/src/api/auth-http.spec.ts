import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiTestApp, TEST_ADMIN_PASSWORD, type ApiTestApp } from './testing/api-test-app';

describe('HTTP authentication', () => {
  let t: ApiTestApp;
  beforeAll(async () => {
    t = await startApiTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('GET /api/health without a token answers 200 with status, uptime and version', async () => {
    const res = await fetch(`${t.baseUrl}/api/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; uptimeS: number; version: string };
    expect(body.status).toBe('ok');
    expect(Number.isInteger(body.uptimeS) && body.uptimeS >= 0).toBe(true);
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('GET /api/devices without a token answers 401 UNAUTHORIZED with WWW-Authenticate: Bearer', async () => {
    const res = await fetch(`${t.baseUrl}/api/devices`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(await res.json()).toEqual({ statusCode: 401, code: 'UNAUTHORIZED', message: 'Missing bearer token' });
  });

  it('GET /api/devices with a forged token answers 401 Invalid token', async () => {
    const [h, p] = t.token.split('.');
    const forged = `${h}.${p}.${Buffer.from('not the signature').toString('base64url')}`;
    const res = await fetch(`${t.baseUrl}/api/devices`, { headers: { authorization: `Bearer ${forged}` } });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { message: string }).message).toBe('Invalid token');
  });

  it('GET /api/devices with a garbage Authorization header answers 401', async () => {
    for (const header of ['Bearer', 'Basic YWRtaW46eA==', 'Bearer a.b.c', `Bearer ${t.token} extra`]) {
      const res = await fetch(`${t.baseUrl}/api/devices`, { headers: { authorization: header } });
      expect(res.status, header).toBe(401);
    }
  });

  it('GET /api/devices with the token only as ?access_token= answers 401 (query tokens are for the WebSocket only)', async () => {
    const res = await fetch(`${t.baseUrl}/api/devices?access_token=${t.token}`);
    expect(res.status).toBe(401);
  });

  it('GET /api/devices with the token from login answers 200', async () => {
    expect(t.token).not.toBe('');
    const res = await fetch(`${t.baseUrl}/api/devices`, { headers: { authorization: `Bearer ${t.token}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([]);
  });

  it('POST /api/auth/login with the right credentials returns a JWT and its lifetime', async () => {
    const res = await fetch(`${t.baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: TEST_ADMIN_PASSWORD }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { accessToken: string; expiresIn: number };
    expect(body.accessToken.split('.')).toHaveLength(3);
    expect(body.expiresIn).toBe(43200);
    const claims = JSON.parse(Buffer.from(body.accessToken.split('.')[1], 'base64url').toString()) as { sub: string; exp: number; iat: number };
    expect(claims.sub).toBe('admin');
    expect(claims.exp - claims.iat).toBe(43200);
  });

  it('POST /api/auth/login with a wrong password or user answers 401 with the same message', async () => {
    for (const creds of [
      { username: 'admin', password: 'wrong' },
      { username: 'root', password: TEST_ADMIN_PASSWORD },
    ]) {
      const res = await fetch(`${t.baseUrl}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(creds),
      });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ statusCode: 401, code: 'UNAUTHORIZED', message: 'Invalid username or password' });
    }
  });

  it('POST /api/auth/login without a password answers 400 naming the field', async () => {
    const res = await fetch(`${t.baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin' }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string; errors: { field: string }[] };
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.message).toMatch(/^password: /);
    expect(body.errors.map((e) => e.field)).toEqual(['password']);
  });

  it('an unknown route answers 404 NOT_FOUND in the error shape after authentication', async () => {
    const res = await fetch(`${t.baseUrl}/api/nope`, { headers: { authorization: `Bearer ${t.token}` } });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('NOT_FOUND');
  });
});

describe('HTTP login throttling', () => {
  it('POST /api/auth/login after too many failures from one address answers 429 with Retry-After, even with the right password', async () => {
    const t = await startApiTestApp({ loginThrottle: { maxFailures: 2, windowMs: 60_000 } });
    try {
      const login = (password: string) =>
        fetch(`${t.baseUrl}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'admin', password }),
        });
      expect((await login('bad-1')).status).toBe(401);
      expect((await login('bad-2')).status).toBe(401);
      const res = await login(TEST_ADMIN_PASSWORD);
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await res.json()) as { code: string }).code).toBe('TOO_MANY_REQUESTS');
    } finally {
      await t.close();
    }
  });
});
