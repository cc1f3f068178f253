import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebController } from './web.controller';
import { WEB_DIST_DIR, findWebDist } from './web-dist';
import { WEB_PREFIX_EXCLUDE } from './web.module';

async function serve(dir: string): Promise<{ app: INestApplication; url: string }> {
  const mod = await Test.createTestingModule({ controllers: [WebController], providers: [{ provide: WEB_DIST_DIR, useValue: dir }] }).compile();
  const app = mod.createNestApplication({ logger: false });
  // The same exclusion bootstrap.ts passes, so / and /app/… are outside /api here too.
  app.setGlobalPrefix('api', { exclude: WEB_PREFIX_EXCLUDE });
  await app.listen(0, '127.0.0.1');
  return { app, url: `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}` };
}

/** GET without URL normalisation (fetch would collapse `..` segments before sending). */
async function rawGet(url: string, path: string): Promise<number> {
  const { request } = await import('node:http');
  const u = new URL(url);
  return new Promise((ok, fail) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      res.resume();
      ok(res.statusCode ?? 0);
    });
    req.on('error', fail);
    req.end();
  });
}

describe('WebController with no built dashboard', () => {
  let app: INestApplication;
  let url: string;
  const root = mkdtempSync(join(tmpdir(), 'gbweb-missing-'));
  beforeAll(async () => ({ app, url } = await serve(join(root, 'dist', 'web'))));
  afterAll(async () => {
    await app.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('GET / answers 200 with a page saying how to build it', async () => {
    const r = await fetch(`${url}/`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await r.text()).toContain('npm run build:web');
  });

  it('GET /app/assets/x.js answers 404', async () => {
    expect((await fetch(`${url}/app/assets/x.js`)).status).toBe(404);
  });
});

describe('WebController with a built dashboard', () => {
  let app: INestApplication;
  let url: string;
  const root = mkdtempSync(join(tmpdir(), 'gbweb-'));
  const dist = join(root, 'dist', 'web');
  beforeAll(async () => {
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>dash</title><script type="module" src="/app/assets/index-abc.js"></script>');
    writeFileSync(join(dist, 'assets', 'index-abc.js'), 'console.log(1)');
    writeFileSync(join(dist, 'assets', 'index-abc.css'), 'body{}');
    writeFileSync(join(root, 'dist', 'secret.txt'), 'outside');
    ({ app, url } = await serve(dist));
  });
  afterAll(async () => {
    await app.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('GET / serves index.html with a Content-Security-Policy and no-cache', async () => {
    const r = await fetch(`${url}/`);
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('<title>dash</title>');
    expect(r.headers.get('cache-control')).toBe('no-cache');
    const csp = r.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain('media-src \'self\' blob:');
    expect(csp).not.toContain('unsafe-eval');
  });

  it('GET /app/assets/<hashed> serves the file with its type and an immutable cache', async () => {
    const js = await fetch(`${url}/app/assets/index-abc.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(await js.text()).toBe('console.log(1)');
    const css = await fetch(`${url}/app/assets/index-abc.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it.each([
    ['/app/../secret.txt'],
    ['/app/%2e%2e/secret.txt'],
    ['/app/..%2fsecret.txt'],
    ['/app/assets/..%2f..%2fsecret.txt'],
    ['/app/%2fetc%2fpasswd'],
    ['/app/assets'],
    ['/app/assets/%00.js'],
    [`/app/${'a'.repeat(300)}.js`],
    ['/api/app/assets/index-abc.js'],
  ])('GET %s answers 404 and never a file outside dist/web', async (path) => {
    expect(await rawGet(url, path)).toBe(404);
  });

  it('GET /app/ with a malformed percent-escape answers 400', async () => {
    expect(await rawGet(url, '/app/assets/%E0%A4%A.js')).toBe(400);
  });
});

describe('findWebDist()', () => {
  it('from this source folder resolves <repo>/dist/web (the folder with package.json)', () => {
    expect(findWebDist(__dirname)).toBe(join(__dirname, '..', '..', '..', '..', 'dist', 'web'));
  });
});
