import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiTestApp, type ApiTestApp } from './testing/api-test-app';

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, { security?: unknown[]; tags?: string[]; responses: Record<string, unknown>; requestBody?: unknown }>>;
  components: { securitySchemes: Record<string, { type: string; scheme: string }>; schemas: Record<string, { properties: Record<string, unknown> }> };
}

describe('OpenAPI document', () => {
  let t: ApiTestApp;
  let doc: OpenApiDoc;
  beforeAll(async () => {
    t = await startApiTestApp({ env: { API_DOCS: 'public' } });
    const res = await fetch(`${t.baseUrl}/api/docs-json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as OpenApiDoc;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('GET /api/docs-json (API_DOCS=public, no token) lists every route with its method under /api', () => {
    const routes = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    expect(routes.sort()).toEqual(
      [
        'GET /api/health',
        'POST /api/auth/login',
        'GET /api/auth/me',
        'GET /api/devices',
        'GET /api/devices/{deviceId}',
        'PATCH /api/devices/{deviceId}',
        'DELETE /api/devices/{deviceId}',
        'GET /api/devices/{deviceId}/channels',
        'POST /api/devices/{deviceId}/catalog',
        'GET /api/devices/{deviceId}/status',
      ].sort(),
    );
  });

  it('device routes declare bearer auth and their success status; the scheme is HTTP bearer', () => {
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const devices = doc.paths['/api/devices/{deviceId}'];
    expect(devices.get.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(devices.delete.responses)).toContain('204');
    expect(Object.keys(doc.paths['/api/devices/{deviceId}/catalog'].post.responses)).toContain('202');
    expect(devices.get.tags).toEqual(['devices']);
  });

  it('the PATCH body schema comes from the zod schema: its fields, enums and no extra keys', () => {
    const body = doc.paths['/api/devices/{deviceId}'].patch.requestBody as {
      content: { 'application/json': { schema: { properties: Record<string, { enum?: string[] }>; additionalProperties: boolean } } };
    };
    const schema = body.content['application/json'].schema;
    expect(Object.keys(schema.properties).sort()).toEqual(['charset', 'name', 'password', 'streamTransport']);
    expect(schema.properties.charset.enum).toEqual(['auto', 'GB2312', 'GBK', 'GB18030', 'UTF-8']);
    expect(schema.additionalProperties).toBe(false);
  });

  it('the device response schema has every DeviceDto field', () => {
    expect(Object.keys(doc.components.schemas.DeviceResponse.properties)).toEqual(
      expect.arrayContaining(['deviceId', 'online', 'charset', 'streamTransport', 'hasPassword', 'catalogSyncedAt']),
    );
  });

  it('GET /api/docs with API_DOCS=public serves the Swagger UI page without a token', async () => {
    const res = await fetch(`${t.baseUrl}/api/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toMatch(/swagger/i);
  });
});
