import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebController } from '../web/web.controller';
import { WEB_DIST_DIR } from '../web/web-dist';
import { WEB_PREFIX_EXCLUDE } from '../web/web.module';
import { applyResponseHeaders } from './configure-http-app';
import { SECURITY_HEADERS } from './security-headers';
import { startApiTestApp, type ApiTestApp } from './testing/api-test-app';

const ID = '34020000001320000001';

function expectSecurityHeaders(res: Response): void {
  for (const name of ['x-content-type-options', 'x-frame-options', 'referrer-policy']) expect(res.headers.get(name), name).toBe(SECURITY_HEADERS[name]);
  expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
  expect(res.headers.get('x-powered-by')).toBeNull();
}

describe('HTTP edge: bodies and headers', () => {
  let t: ApiTestApp;
  beforeAll(async () => {
    t = await startApiTestApp();
    t.devices.addDevice(ID);
  });
  afterAll(async () => {
    await t?.close();
  });

  const patch = (body: Buffer, headers: Record<string, string> = {}) =>
    fetch(`${t.baseUrl}/api/devices/${ID}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json', ...headers },
      body,
    });

  it('a body with Content-Encoding: gzip that is not gzip answers 400 MALFORMED_BODY, not 500', async () => {
    const res = await patch(Buffer.from('\x1f\x8b\x08\x00 this is not deflate data at all', 'latin1'), { 'content-encoding': 'gzip' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('MALFORMED_BODY');
  });

  it('a gzip body cut off in the middle answers 400 MALFORMED_BODY', async () => {
    const whole = gzipSync(JSON.stringify({ name: 'x'.repeat(2000) }));
    const res = await patch(whole.subarray(0, whole.length - 20), { 'content-encoding': 'gzip' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('MALFORMED_BODY');
  });

  it('a well-formed gzip JSON body is decoded and applied', async () => {
    const res = await patch(gzipSync(JSON.stringify({ name: 'Gate' })), { 'content-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { name: string }).name).toBe('Gate');
  });

  it('an API response, an error response and a 404 carry the security headers and no X-Powered-By', async () => {
    expectSecurityHeaders(await fetch(`${t.baseUrl}/api/health`));
    expectSecurityHeaders(await fetch(`${t.baseUrl}/api/devices`));
    expectSecurityHeaders(await fetch(`${t.baseUrl}/nothing-here`));
  });
});

describe('API_DOCS', () => {
  let t: ApiTestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('auth (the default): /api/docs, /api/docs-json and /api/docs-yaml answer 401 without the bearer token and 200 with it', async () => {
    t = await startApiTestApp();
    for (const path of ['/api/docs', '/api/docs/', '/api/docs-json', '/api/docs-yaml']) {
      const anonymous = await fetch(`${t.baseUrl}${path}`);
      expect(anonymous.status, path).toBe(401);
      expect(((await anonymous.json()) as { code: string }).code).toBe('UNAUTHORIZED');
      expect((await fetch(`${t.baseUrl}${path}`, { headers: { authorization: `Bearer ${t.token}` } })).status, path).toBe(200);
    }
  });

  it('public: the docs are served without a token', async () => {
    t = await startApiTestApp({ env: { API_DOCS: 'public' } });
    expect((await fetch(`${t.baseUrl}/api/docs-json`)).status).toBe(200);
    const ui = await fetch(`${t.baseUrl}/api/docs`);
    expect(ui.status).toBe(200);
    expectSecurityHeaders(ui);
  });

  it('off: the docs are not served, even with a token', async () => {
    t = await startApiTestApp({ env: { API_DOCS: 'off' } });
    expect((await fetch(`${t.baseUrl}/api/docs-json`, { headers: { authorization: `Bearer ${t.token}` } })).status).toBe(404);
  });
});

describe('HTTP edge: dashboard files', () => {
  const root = mkdtempSync(join(tmpdir(), 'gbweb-edge-'));
  let app: INestApplication;
  let url: string;
  beforeAll(async () => {
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>x</title>');
    writeFileSync(join(root, 'assets', 'index-abc123.js'), 'console.log(1)');
    const mod = await Test.createTestingModule({ controllers: [WebController], providers: [{ provide: WEB_DIST_DIR, useValue: root }] }).compile();
    app = mod.createNestApplication({ logger: false });
    applyResponseHeaders(app);
    app.setGlobalPrefix('api', { exclude: WEB_PREFIX_EXCLUDE });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('a dashboard asset carries the security headers', async () => {
    const res = await fetch(`${url}/app/assets/index-abc123.js`);
    expect(res.status).toBe(200);
    expectSecurityHeaders(res);
  });

  it("the dashboard page keeps its own full CSP (which also forbids framing) in place of the default one", async () => {
    const res = await fetch(`${url}/`);
    expectSecurityHeaders(res);
    expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'self'/);
  });
});
