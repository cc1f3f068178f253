import fc from 'fast-check';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patchDeviceSchema } from './devices.dto';
import { startApiTestApp, type ApiTestApp } from './testing/api-test-app';

const ID = '34020000001320000001';

describe('hostile HTTP input', () => {
  let t: ApiTestApp;
  const patch = (body: RequestInit['body'], type = 'application/json', extra: Record<string, string> = {}) =>
    fetch(`${t.baseUrl}/api/devices/${ID}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${t.token}`, 'content-type': type, ...extra },
      body,
    });
  const healthy = async () => {
    const res = await fetch(`${t.baseUrl}/api/health`);
    expect(res.status).toBe(200);
  };

  beforeAll(async () => {
    t = await startApiTestApp();
    t.devices.addDevice(ID);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('binary garbage declared as JSON answers 400 MALFORMED_JSON and the server keeps answering', async () => {
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) & 0xff));
    const res = await patch(garbage);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('MALFORMED_JSON');
    await healthy();
  });

  it('JSON nested 20 000 levels deep under 64 KiB answers 400 naming the field, not 500', async () => {
    const depth = 20_000;
    const res = await patch(`{"name":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/^name: /);
    await healthy();
  });

  it('a __proto__ key is rejected as an unknown field and does not pollute objects', async () => {
    const res = await patch('{"__proto__":{"polluted":true},"name":"x"}');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toBe('__proto__: unknown field');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('an unsupported charset answers 415 and an unsupported Content-Encoding answers 415', async () => {
    const a = await patch('{"name":"x"}', 'application/json; charset=ebcdic');
    expect(a.status).toBe(415);
    expect(((await a.json()) as { code: string }).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const b = await patch('{"name":"x"}', 'application/json', { 'content-encoding': 'zstd-bogus' });
    expect(b.status).toBe(415);
    await healthy();
  });

  it('a gzip body that inflates past 64 KiB answers 413', async () => {
    const { gzipSync } = await import('node:zlib');
    const bomb = gzipSync(Buffer.from(`{"name":"${'a'.repeat(10 * 1024 * 1024)}"}`));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const res = await patch(bomb, 'application/json', { 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    await healthy();
  });

  it('a malformed percent-encoding in the path answers 400, not 500', async () => {
    const res = await fetch(`${t.baseUrl}/api/devices/%E0%A4%A`, { headers: { authorization: `Bearer ${t.token}` } });
    expect(res.status).toBe(400);
    await healthy();
  });

  it('a body whose Content-Length lies (shorter than declared) and then hangs up leaves the server answering', async () => {
    const port = new URL(t.baseUrl).port;
    await new Promise<void>((resolve) => {
      const s = connect(Number(port), '127.0.0.1', () => {
        s.write(
          `PATCH /api/devices/${ID} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.token}\r\n` +
            'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":',
        );
        setTimeout(() => s.destroy(), 50);
      });
      s.on('close', () => resolve());
      s.on('error', () => resolve());
    });
    await healthy();
  });

  it('fuzz: arbitrary bytes as a JSON PATCH body always answer 4xx (seeded)', async () => {
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 512 }), async (bytes) => {
        const res = await patch(Buffer.from(bytes));
        await res.arrayBuffer();
        statuses.add(res.status);
        // Success only where the bytes happen to be a valid patch (e.g. empty, or `{}`); anything else is a client error.
        return res.status === 200 || (res.status >= 400 && res.status < 500);
      }),
      { seed: 28181, numRuns: 150 },
    );
    expect(statuses.has(400)).toBe(true);
    await healthy();
  });

  it('fuzz: arbitrary JSON values as a PATCH body answer 200 only when they are a valid patch (seeded)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (value) => {
        const res = await patch(JSON.stringify(value));
        await res.arrayBuffer();
        // body-parser's strict mode refuses top-level primitives (400 MALFORMED_JSON); objects go to the schema.
        const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
        return res.status === (isObject && patchDeviceSchema.safeParse(value).success ? 200 : 400);
      }),
      { seed: 4571, numRuns: 150 },
    );
    await healthy();
  });
});
