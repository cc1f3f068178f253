import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelRoisDto, ExclusionZone, Roi } from '@gb/contracts';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';
import { startSimDevice } from '../support/sim-device';
import { channelId, type SimulatedDevice } from '../../apps/device-sim/src';
import { MAX_EXCLUSION_ZONES, MAX_ROIS_PER_CHANNEL, MAX_ROI_POINTS } from '../../apps/gateway/src/congestion/congestion.dto';

const PASSWORD = '12345678';

interface ValidationBody {
  code: string;
  message: string;
  errors?: { field: string; message: string }[];
}

/**
 * PUT /api/channels/:c/rois over real HTTP (embedded database, one simulated camera over UDP): the body is either the
 * eval command's ROI file as it is (a JSON array) or `{deviceId?, rois}`; hostile bodies answer 400 VALIDATION_FAILED
 * with the offending field, a body past the parser's size bound answers 413, and nothing of a refused body is stored.
 */
describe('PUT /api/channels/:c/rois (HTTP, simulated camera over UDP)', () => {
  let gw: TestGateway;
  let device: SimulatedDevice;
  const deviceId = '34020000001320000972';
  const channel = channelId(deviceId, 1);
  const lane = (id: string, y0: number, y1: number): Roi => ({ id, polygon: [[0, y0], [1, y0], [1, y1], [0, y1]] });

  const put = (body: unknown) =>
    gw.api<ValidationBody & Roi[]>(`/api/channels/${channel}/rois`, { method: 'PUT', body: typeof body === 'string' ? body : JSON.stringify(body) });
  const stored = async () => (await gw.api<Roi[]>(`/api/channels/${channel}/rois`)).body;

  beforeAll(async () => {
    gw = await startTestGateway({ SIP_PASSWORD: PASSWORD });
    device = await startSimDevice(gw, { deviceId, password: PASSWORD, channels: 1, name: 'rois-sim' });
  }, 60_000);

  afterAll(async () => {
    await device?.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined);
    await gw?.stop();
  });

  it('PUT with the eval ROI file (a bare JSON array) stores it; GET returns the same array', async () => {
    const file = [lane('left', 0.4, 1), { ...lane('right', 0, 0.4), calibration: { speedLimitKmh: 80, roadLengthMetres: 120 } }];
    const r = await put(file);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual(file);
    expect(await stored()).toEqual(file);
  });

  it('PUT with {deviceId, rois} replaces the ROIs; {rois: []} clears them', async () => {
    const r = await put({ deviceId, rois: [lane('road', 0, 1)] });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(await stored()).toEqual([lane('road', 0, 1)]);
    expect((await put({ rois: [] })).status).toBe(200);
    expect(await stored()).toEqual([]);
    expect((await put([lane('road', 0, 1)])).status).toBe(200);
  });

  it('PUT {rois, exclusions} stores both and answers them; GET ?include=exclusions returns them; an array PUT keeps the zones; exclusions: [] clears them', async () => {
    const zones: ExclusionZone[] = [{ id: 'billboard', polygon: [[0.8, 0], [1, 0], [1, 0.2], [0.8, 0.2]] }, { id: 'car-park', polygon: [[0, 0], [0.3, 0], [0, 0.3]] }];
    const withZones = async () => (await gw.api<ChannelRoisDto>(`/api/channels/${channel}/rois?include=exclusions`)).body;
    const r = await put({ deviceId, rois: [lane('road', 0, 1)], exclusions: zones });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ rois: [lane('road', 0, 1)], exclusions: zones });
    expect(await withZones()).toEqual({ rois: [lane('road', 0, 1)], exclusions: zones });
    expect(await stored()).toEqual([lane('road', 0, 1)]);
    expect((await put([lane('road', 0, 1)])).status).toBe(200);
    expect((await put({ rois: [lane('road', 0, 1)] })).body).toEqual([lane('road', 0, 1)]);
    expect((await withZones()).exclusions).toEqual(zones);
    expect((await put({ rois: [lane('road', 0, 1)], exclusions: [] })).body).toEqual({ rois: [lane('road', 0, 1)], exclusions: [] });
    expect(await withZones()).toEqual({ rois: [lane('road', 0, 1)], exclusions: [] });
    expect((await gw.api<ValidationBody>(`/api/channels/${channel}/rois?include=all`)).body.code).toBe('VALIDATION_FAILED');
  });

  it.each<[string, unknown, RegExp]>([
    ['an exclusion zone point outside 0–1', { rois: [lane('road', 0, 1)], exclusions: [{ id: 'z', polygon: [[0, 0], [1, 0], [1, 1.01]] }] }, /exclusions\.0\.polygon\.2\.1/],
    ['too many exclusion zones', { rois: [], exclusions: Array.from({ length: MAX_EXCLUSION_ZONES + 1 }, (_, i) => lane(`z${i}`, 0, 1)) }, /exclusions/],
    ['duplicate exclusion zone ids', { rois: [], exclusions: [lane('z', 0, 0.5), lane('z', 0.5, 1)] }, /exclusions.*unique/],
    ['an object without rois', { polygons: [] }, /rois|polygons/],
    ['a point outside 0–1', [{ id: 'x', polygon: [[0, 0], [1.5, 0], [1, 1]] }], /polygon/],
    ['a negative coordinate', { rois: [{ id: 'x', polygon: [[0, 0], [1, -0.1], [1, 1]] }] }, /polygon/],
    ['a coordinate that is a string', [{ id: 'x', polygon: [[0, 0], ['1', 0], [1, 1]] }], /polygon/],
    ['two points', [{ id: 'x', polygon: [[0, 0], [1, 0]] }], /polygon/],
    ['too many points', [{ id: 'x', polygon: Array.from({ length: MAX_ROI_POINTS + 1 }, (_, i) => [i / (MAX_ROI_POINTS + 1), (i % 2) * 0.5]) }], /polygon/],
    ['too many ROIs', Array.from({ length: MAX_ROIS_PER_CHANNEL + 1 }, (_, i) => lane(`r${i}`, 0, 1)), /./],
    ['duplicate ids', [lane('a', 0, 0.5), lane('a', 0.5, 1)], /unique/],
    ['an id with a slash', [lane('a/b', 0, 1)], /id/],
    ['an id of 65 characters', [lane('x'.repeat(65), 0, 1)], /id/],
    ['an unknown field', [{ ...lane('a', 0, 1), colour: 'red' }], /colour/],
    ['an unknown top-level field', { rois: [], extra: 1 }, /extra/],
  ])('PUT with %s -> 400 VALIDATION_FAILED naming the field; the stored ROIs are unchanged', async (_what, body, field) => {
    const r = await put(body);
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(r.body.code).toBe('VALIDATION_FAILED');
    expect(r.body.errors?.length).toBeGreaterThan(0);
    expect(`${r.body.message} ${JSON.stringify(r.body.errors)}`).toMatch(field);
    expect(await stored()).toEqual([lane('road', 0, 1)]);
  });

  it.each([['a string', '"road"'], ['a number', '42'], ['null', 'null']])('PUT with %s (strict JSON: an object or array only) -> 400 MALFORMED_JSON', async (_what, body) => {
    const r = await put(body);
    expect([r.status, r.body.code]).toEqual([400, 'MALFORMED_JSON']);
    expect(await stored()).toEqual([lane('road', 0, 1)]);
  });

  it('PUT with a body past the JSON parser bound (64 KiB) -> 413 PAYLOAD_TOO_LARGE; the stored ROIs are unchanged', async () => {
    const huge = [{ id: 'x', polygon: Array.from({ length: 5000 }, () => [0.123456789, 0.987654321]) }];
    const r = await put(huge);
    expect([r.status, r.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    expect(await stored()).toEqual([lane('road', 0, 1)]);
  });

  it('PUT for a channel in no catalog -> 404', async () => {
    const r = await gw.api<ValidationBody>(`/api/channels/34020000001320000999/rois`, { method: 'PUT', body: JSON.stringify([lane('road', 0, 1)]) });
    expect(r.status).toBe(404);
  });
});
