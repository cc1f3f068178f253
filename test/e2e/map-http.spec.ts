import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MapPlanInfoDto, MapPositionDto, MapSettingsDto } from '@gb/contracts';
import { MAX_PLAN_BYTES } from '../../apps/gateway/src/map/plan-image';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';

/**
 * The map API of a real gateway (embedded database): plan upload and download as raw image bodies, settings with two
 * reference points, manual positions; hostile bodies are refused with their codes.
 */
describe('map API over HTTP (PUT/GET /api/map/plan, /settings, /positions)', () => {
  let gw: TestGateway;
  let png: Buffer;

  beforeAll(async () => {
    [gw, png] = await Promise.all([startTestGateway(), sharp({ create: { width: 800, height: 600, channels: 3, background: '#e0e0e0' } }).png().toBuffer()]);
  });
  afterAll(async () => {
    await gw?.stop();
  });

  async function putPlan(body: Buffer | string, contentType: string): Promise<{ status: number; body: { code?: string } & Partial<MapPlanInfoDto> }> {
    const r = await fetch(`${gw.httpUrl}/api/map/plan`, { method: 'PUT', headers: { ...(await gw.auth()), 'content-type': contentType }, body });
    return { status: r.status, body: (await r.json()) as { code?: string } };
  }

  it('GET /api/map/plan before any upload is 404 MAP_PLAN_NOT_FOUND; settings are empty', async () => {
    expect(await gw.api('/api/map/plan')).toMatchObject({ status: 404, body: { code: 'MAP_PLAN_NOT_FOUND' } });
    expect((await gw.api<MapSettingsDto>('/api/map/settings')).body).toEqual({ plan: null, tileUrl: null });
  });

  it('PUT a PNG stores it; GET returns the same bytes with its content type', async () => {
    expect(await putPlan(png, 'image/png')).toMatchObject({ status: 200, body: { contentType: 'image/png', width: 800, height: 600, bytes: png.length } });
    const r = await fetch(`${gw.httpUrl}/api/map/plan`, { headers: await gw.auth() });
    expect(r.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await r.arrayBuffer()).equals(png)).toBe(true);
  });

  it('hostile plans: not an image 400 MAP_PLAN_NOT_IMAGE, wrong content type 415, PNG bytes as JPEG 400, oversized 413 MAP_PLAN_TOO_LARGE', async () => {
    expect(await putPlan('<svg xmlns="http://www.w3.org/2000/svg"/>', 'image/png')).toMatchObject({ status: 400, body: { code: 'MAP_PLAN_NOT_IMAGE' } });
    expect(await putPlan(png, 'image/svg+xml')).toMatchObject({ status: 415, body: { code: 'MAP_PLAN_UNSUPPORTED_TYPE' } });
    expect(await putPlan('{"a":1}', 'application/json')).toMatchObject({ status: 415, body: { code: 'MAP_PLAN_UNSUPPORTED_TYPE' } });
    expect(await putPlan(png, 'image/jpeg')).toMatchObject({ status: 400, body: { code: 'MAP_PLAN_NOT_IMAGE' } });
    const big = Buffer.concat([png, Buffer.alloc(MAX_PLAN_BYTES)]);
    expect(await putPlan(big, 'image/png')).toMatchObject({ status: 413, body: { code: 'MAP_PLAN_TOO_LARGE' } });
    // Chunked (no Content-Length): cut off while reading.
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 11; i++) c.enqueue(new Uint8Array(1024 * 1024));
        c.close();
      },
    });
    const r = await fetch(`${gw.httpUrl}/api/map/plan`, { method: 'PUT', headers: { ...(await gw.auth()), 'content-type': 'image/png' }, body: stream, duplex: 'half' } as RequestInit);
    expect(r.status).toBe(413);
    // The stored plan is untouched.
    expect((await gw.api<MapPlanInfoDto>('/api/map/plan/info')).body).toMatchObject({ width: 800, bytes: png.length });
  });

  it('PUT settings with two reference points and a tile URL stores them; GET returns them', async () => {
    const body: MapSettingsDto = { plan: { ref: [{ px: [100, 500], lonlat: [120.15, 30.28] }, { px: [700, 100], lonlat: [120.151, 30.2808] }] }, tileUrl: 'http://127.0.0.1:8089/{z}/{x}/{y}.png' };
    expect(await gw.api('/api/map/settings', { method: 'PUT', body: JSON.stringify(body) })).toMatchObject({ status: 200, body });
    expect((await gw.api('/api/map/settings')).body).toEqual(body);
  });

  it.each([
    ['NaN (as null) in a pixel', '{"plan":{"ref":[{"px":[null,1],"lonlat":[120,30]},{"px":[2,2],"lonlat":[121,31]}]},"tileUrl":null}', 'VALIDATION_FAILED'],
    ['latitude out of range', JSON.stringify({ plan: { ref: [{ px: [1, 1], lonlat: [120, 91] }, { px: [2, 2], lonlat: [121, 31] }] }, tileUrl: null }), 'VALIDATION_FAILED'],
    ['longitude out of range', JSON.stringify({ plan: { ref: [{ px: [1, 1], lonlat: [181, 30] }, { px: [2, 2], lonlat: [121, 31] }] }, tileUrl: null }), 'VALIDATION_FAILED'],
    ['identical reference points', JSON.stringify({ plan: { ref: [{ px: [1, 1], lonlat: [120, 30] }, { px: [1, 1], lonlat: [121, 31] }] }, tileUrl: null }), 'MAP_REFERENCE_DEGENERATE'],
    ['same place on earth', JSON.stringify({ plan: { ref: [{ px: [1, 1], lonlat: [120, 30] }, { px: [9, 9], lonlat: [120, 30] }] }, tileUrl: null }), 'MAP_REFERENCE_DEGENERATE'],
    ['one reference point', JSON.stringify({ plan: { ref: [{ px: [1, 1], lonlat: [120, 30] }] }, tileUrl: null }), 'VALIDATION_FAILED'],
    ['a tile URL without {z}', JSON.stringify({ plan: null, tileUrl: 'http://127.0.0.1/{x}/{y}.png' }), 'VALIDATION_FAILED'],
    ['a javascript: tile URL', JSON.stringify({ plan: null, tileUrl: 'javascript:alert(1)//{z}{x}{y}' }), 'VALIDATION_FAILED'],
    ['an unknown field', JSON.stringify({ plan: null, tileUrl: null, extra: 1 }), 'VALIDATION_FAILED'],
    ['not JSON', '{"plan":', 'MALFORMED_JSON'],
  ])('PUT settings with %s is 400 %s and changes nothing', async (_name, body, code) => {
    const before = (await gw.api('/api/map/settings')).body;
    expect(await gw.api('/api/map/settings', { method: 'PUT', body })).toMatchObject({ status: 400, body: { code } });
    expect((await gw.api('/api/map/settings')).body).toEqual(before);
  });

  it('PUT positions stores plan pixels per channel; outside the plan, negative or a bad channel id is 400', async () => {
    const ch = '34020000001310000009';
    expect(await gw.api(`/api/map/positions/${ch}`, { method: 'PUT', body: JSON.stringify({ x: 120.5, y: 300 }) })).toMatchObject({ status: 200, body: { channelId: ch, x: 120.5, y: 300 } });
    expect((await gw.api<MapPositionDto[]>('/api/map/positions')).body.map((p) => [p.channelId, p.x, p.y])).toEqual([[ch, 120.5, 300]]);
    expect(await gw.api(`/api/map/positions/${ch}`, { method: 'PUT', body: JSON.stringify({ x: 801, y: 1 }) })).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    expect(await gw.api(`/api/map/positions/${ch}`, { method: 'PUT', body: JSON.stringify({ x: -1, y: 1 }) })).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    expect(await gw.api(`/api/map/positions/${ch}`, { method: 'PUT', body: '{"x":"1e999","y":1}' })).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    expect(await gw.api('/api/map/positions/not-an-id', { method: 'PUT', body: JSON.stringify({ x: 1, y: 1 }) })).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    expect((await gw.api(`/api/map/positions/${ch}`, { method: 'DELETE' })).status).toBe(204);
    expect((await gw.api<MapPositionDto[]>('/api/map/positions')).body).toEqual([]);
  });
});
