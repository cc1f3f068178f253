import { afterEach, describe, expect, it } from 'vitest';
import * as http from 'node:http';
import { MetricsHttpServer, type MetricsSource } from '@gb/runtime';

const TEXT = '# HELP up 1 when scraped\n# TYPE up gauge\nup 1\n';
const okSource: MetricsSource = { contentType: 'text/plain; version=0.0.4; charset=utf-8', scrape: async () => TEXT };

describe('MetricsHttpServer', () => {
  const servers: MetricsHttpServer[] = [];
  async function start(source: MetricsSource = okSource, onError?: (e: unknown) => void): Promise<string> {
    const s = new MetricsHttpServer(source, onError);
    servers.push(s);
    const port = await s.listen(0, '127.0.0.1');
    return `http://127.0.0.1:${port}`;
  }
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('GET /metrics (with a query string too) answers the scrape with its content type; HEAD answers no body', async () => {
    const url = await start();
    const get = await fetch(`${url}/metrics?name[]=up`);
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toBe(okSource.contentType);
    expect(await get.text()).toBe(TEXT);
    const head = await fetch(`${url}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('a scrape that throws is a 500 and goes to onError; the server keeps serving', async () => {
    const errors: unknown[] = [];
    let fail = true;
    const url = await start({ contentType: okSource.contentType, scrape: async () => (fail ? Promise.reject(new Error('boom')) : TEXT) }, (e) => errors.push(e));
    expect((await fetch(`${url}/metrics`)).status).toBe(500);
    expect(errors).toHaveLength(1);
    fail = false;
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
  });

  it('close() is idempotent and drops an idle keep-alive connection, so it does not wait for the client', async () => {
    const s = new MetricsHttpServer(okSource);
    const port = await s.listen(0, '127.0.0.1');
    const agent = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/metrics', agent }, (res) => res.resume().on('end', resolve)).on('error', reject);
    });
    const started = Date.now();
    await Promise.all([s.close(), s.close()]);
    await s.close();
    expect(Date.now() - started).toBeLessThan(1000);
    agent.destroy();
  });

  it('close() before listen() resolves', async () => {
    await expect(new MetricsHttpServer(okSource).close()).resolves.toBeUndefined();
  });

  it('listen() on a port that is taken rejects with EADDRINUSE', async () => {
    const url = await start();
    const taken = Number(new URL(url).port);
    const other = new MetricsHttpServer(okSource);
    await expect(other.listen(taken, '127.0.0.1')).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await other.close();
  });
});
