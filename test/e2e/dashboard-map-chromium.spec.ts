import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { ChannelDto, MapPositionDto, MapSettingsDto } from '@gb/contracts';
import { SimulatedDevice, buildChannels, channelId } from '../../apps/device-sim/src';
import { buildDashboard, launchChromium, type TestBrowser } from '../support/chromium';
import { startTestGateway, waitFor, TEST_ADMIN_PASSWORD, type TestGateway } from '../support/gateway-harness';
import { startSimDevice } from '../support/sim-device';

/**
 * The map page in Debian Chromium against a real gateway: a simulated device whose catalog gives three channels
 * longitude/latitude (buildChannels) and one without. In the browser: upload a generated PNG site plan, enter two
 * reference points, and the three markers sit where the two-point similarity (computed here independently) puts the
 * channels' coordinates on the image; the fourth channel is listed at the side, dragged onto the plan, and its stored
 * position is the image pixel it was dropped on. Screenshot at 1440x900 under test-artifacts/screenshots/ (gitignored).
 */

const ROOT = resolve(__dirname, '../..');
const SCREENSHOT_DIR = process.env.DASHBOARD_SCREENSHOT_DIR ?? resolve(ROOT, 'test-artifacts/screenshots');
const PASSWORD = '12345678';
const PLAN_W = 1000;
const PLAN_H = 700;
/** Tolerance of a marker's position, in plan image pixels. */
const TOLERANCE_PX = 3;

const REF = [
  { px: [150, 550] as [number, number], lonlat: [120.15005, 30.28005] as [number, number] },
  { px: [850, 150] as [number, number], lonlat: [120.15035, 30.28035] as [number, number] },
];

/** Lon/lat -> plan pixel by the two reference points, written out here (not the dashboard's code): a similarity over Web Mercator. */
function expectedPixel(lon: number, lat: number): [number, number] {
  const merc = (d: number) => Math.log(Math.tan(Math.PI / 4 + (d * Math.PI) / 360));
  const g = (p: { lonlat: [number, number] }) => ({ re: (p.lonlat[0] * Math.PI) / 180, im: merc(p.lonlat[1]) });
  const q = (p: { px: [number, number] }) => ({ re: p.px[0], im: -p.px[1] });
  const [g1, g2, q1, q2] = [g(REF[0]!), g(REF[1]!), q(REF[0]!), q(REF[1]!)];
  const dg = { re: g2.re - g1.re, im: g2.im - g1.im };
  const dq = { re: q2.re - q1.re, im: q2.im - q1.im };
  const n = dg.re * dg.re + dg.im * dg.im;
  const a = { re: (dq.re * dg.re + dq.im * dg.im) / n, im: (dq.im * dg.re - dq.re * dg.im) / n };
  const p = { re: (lon * Math.PI) / 180 - g1.re, im: merc(lat) - g1.im };
  return [a.re * p.re - a.im * p.im + q1.re, -(a.re * p.im + a.im * p.re + q1.im)];
}

/** Web Mercator world pixel at zoom z (256-pixel XYZ tiles), written out here. */
function worldPixel(lon: number, lat: number, z: number): [number, number] {
  const size = 256 * 2 ** z;
  const r = (lat * Math.PI) / 180;
  return [((lon + 180) / 360) * size, ((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * size];
}

/** A site plan: a few "buildings" and roads on grey, as an SVG rendered to PNG by sharp. */
async function makePlan(): Promise<Buffer> {
  const svgText = `<svg xmlns="http://www.w3.org/2000/svg" width="${PLAN_W}" height="${PLAN_H}">
    <rect width="100%" height="100%" fill="#eef0f3"/>
    <rect x="0" y="330" width="${PLAN_W}" height="40" fill="#c9ccd2"/><rect x="480" y="0" width="40" height="${PLAN_H}" fill="#c9ccd2"/>
    <rect x="60" y="60" width="360" height="220" fill="#d8dde6" stroke="#9aa3b2"/><rect x="580" y="60" width="360" height="220" fill="#d8dde6" stroke="#9aa3b2"/>
    <rect x="60" y="420" width="360" height="220" fill="#d8dde6" stroke="#9aa3b2"/><rect x="580" y="420" width="360" height="220" fill="#e3e8d8" stroke="#9aa3b2"/>
  </svg>`;
  return sharp(Buffer.from(svgText)).png().toBuffer();
}

describe('dashboard map page in real Chromium (simulated device with coordinates -> gateway)', () => {
  let gw: TestGateway;
  let device: SimulatedDevice;
  let browser: TestBrowser;
  let page: Page;
  let planPng: Buffer;
  const deviceId = '34020000001320000951';
  const unplaced = channelId(deviceId, 4);
  const pageErrors: string[] = [];

  beforeAll(async () => {
    [gw, browser, planPng] = await Promise.all([startTestGateway({ SIP_PASSWORD: PASSWORD }), launchChromium(), makePlan(), buildDashboard()]);
    const channels = buildChannels(deviceId, 0, 4);
    delete channels[3]!.longitude;
    delete channels[3]!.latitude;
    device = await startSimDevice(gw, { deviceId, password: PASSWORD, channels: 4, name: 'map-sim', extra: { channels } });
    device.on('error', () => undefined);
    page = await browser.context.newPage();
    await page.setViewportSize({ width: 1440, height: 900 });
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${gw.httpUrl}/`);
    await page.fill('input[name=password]', TEST_ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(/#\/devices$/);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await device?.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined);
    await gw?.stop();
  });

  /** Plan pixel under the centre of an element, from the plan image's on-screen box (scaled and shifted by the view). */
  async function planPixelOf(selector: string): Promise<[number, number]> {
    // A string, not a function: the Node tsconfig has no DOM types.
    return page.evaluate(`(() => {
      const img = document.querySelector('img[data-field=map-plan]');
      const r = img.getBoundingClientRect();
      const m = document.querySelector(${JSON.stringify(selector)}).getBoundingClientRect();
      return [((m.left + m.width / 2 - r.left) * img.naturalWidth) / r.width, ((m.top + m.height / 2 - r.top) * img.naturalHeight) / r.height];
    })()`) as Promise<[number, number]>;
  }

  it('an uploaded plan with two reference points shows each channel at its coordinates on the image; a channel without them is dragged on and stored', async () => {
    const catalog = (await gw.api<ChannelDto[]>(`/api/devices/${deviceId}/channels`)).body;
    expect(catalog.filter((c) => c.longitude !== null)).toHaveLength(3);

    await page.click('a[data-nav=map]');
    await page.locator('[data-field=map-view]').waitFor({ timeout: 5000 });
    // Without a plan every channel is listed at the side.
    await waitFor('four unplaced channels', () => page.locator('li.map-unplaced-item').count().then((n) => n === 4), 10_000, 200);

    // Upload the plan through the form.
    await page.click('details[data-field=map-settings] summary');
    await page.setInputFiles('input[data-field=map-plan-file]', { name: 'plan.png', mimeType: 'image/png', buffer: planPng });
    await page.click('button[data-action=map-upload]');
    await waitFor('the plan shown', () => page.evaluate(`(document.querySelector('img[data-field=map-plan]')?.naturalWidth ?? 0) === 1000`), 10_000, 200);

    // The two reference points, typed in.
    for (const [i, p] of REF.entries()) {
      const row = page.locator(`[data-field=map-ref-form] [data-ref="${i}"]`);
      await row.locator('input[data-field=ref-x]').fill(String(p.px[0]));
      await row.locator('input[data-field=ref-y]').fill(String(p.px[1]));
      await row.locator('input[data-field=ref-lon]').fill(String(p.lonlat[0]));
      await row.locator('input[data-field=ref-lat]').fill(String(p.lonlat[1]));
    }
    await page.click('button[data-action=map-save-ref]');
    await waitFor('the stored reference points', async () => (await gw.api<MapSettingsDto>('/api/map/settings')).body.plan?.ref[1]?.px[0] === 850, 5000, 100);
    await waitFor('three markers', () => page.locator('.map-marker:visible').count().then((n) => n === 3), 5000, 100);

    for (const c of catalog.filter((ch) => ch.longitude !== null)) {
      const [x, y] = await planPixelOf(`.map-marker[data-channel-id="${c.channelId}"]`);
      const [ex, ey] = expectedPixel(c.longitude!, c.latitude!);
      expect(Math.abs(x - ex), `${c.channelId} x ${x} vs ${ex}`).toBeLessThan(TOLERANCE_PX);
      expect(Math.abs(y - ey), `${c.channelId} y ${y} vs ${ey}`).toBeLessThan(TOLERANCE_PX);
      expect(await page.getAttribute(`.map-marker[data-channel-id="${c.channelId}"]`, 'data-online')).toBe('true');
    }

    // Drag the channel without coordinates from the side list onto plan pixel (700, 500), with the settings folded and the
    // page scrolled back up (clicking Save scrolled down to the form).
    await page.click('details[data-field=map-settings] summary');
    await page.evaluate('window.scrollTo(0, 0)');
    const item = page.locator(`li.map-unplaced-item[data-channel-id="${unplaced}"]`);
    await expect(item.count()).resolves.toBe(1);
    const from = (await item.boundingBox())!;
    const img = (await page.locator('img[data-field=map-plan]').boundingBox())!;
    const target = [img.x + (700 * img.width) / PLAN_W, img.y + (500 * img.height) / PLAN_H] as const;
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(target[0] - 40, target[1] - 40, { steps: 6 });
    await page.mouse.move(target[0], target[1], { steps: 4 });
    await page.mouse.up();
    const stored = await waitFor('the stored position', async () => (await gw.api<MapPositionDto[]>('/api/map/positions')).body.find((p) => p.channelId === unplaced), 5000, 100);
    expect(Math.abs(stored.x - 700)).toBeLessThan(TOLERANCE_PX);
    expect(Math.abs(stored.y - 500)).toBeLessThan(TOLERANCE_PX);
    await page.locator(`.map-marker[data-channel-id="${unplaced}"]`).waitFor({ timeout: 5000 });
    const [dx, dy] = await planPixelOf(`.map-marker[data-channel-id="${unplaced}"]`);
    expect(Math.abs(dx - 700) + Math.abs(dy - 500)).toBeLessThan(2 * TOLERANCE_PX);
    expect(await page.locator('li.map-unplaced-item').count()).toBe(0);

    // A click on a marker opens the live tile of that channel.
    const first = catalog.find((c) => c.channelId === channelId(deviceId, 1))!;
    await page.click(`.map-marker[data-channel-id="${first.channelId}"]`);
    await page.locator('[data-field=map-live] [data-field=tile-name]').waitFor({ timeout: 5000 });
    expect(await page.textContent('[data-field=map-live] [data-field=tile-name]')).toBe(first.name);

    await page.screenshot({ path: resolve(SCREENSHOT_DIR, 'map-plan-1440x900.png') });
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('with a tile URL the map draws tiles of a local tile server (through the gateway) and puts the channels at their Web Mercator pixels; the wheel zooms', async () => {
    const tilePng = await sharp({ create: { width: 256, height: 256, channels: 3, background: '#dfe8d8' } }).png().toBuffer();
    const asked: string[] = [];
    const server: Server = createServer((req, res) => {
      asked.push(req.url ?? '');
      if (!/^\/\d+\/\d+\/\d+\.png$/.test(req.url ?? '')) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': tilePng.length }).end(tilePng);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const current = (await gw.api<MapSettingsDto>('/api/map/settings')).body;
      expect((await gw.api('/api/map/settings', { method: 'PUT', body: JSON.stringify({ ...current, tileUrl: `http://127.0.0.1:${port}/{z}/{x}/{y}.png` }) })).status).toBe(200);
      await page.click('[data-field=map-live] [data-action=tile-clear]');
      await page.goto(`${gw.httpUrl}/#/devices`);
      await page.goto(`${gw.httpUrl}/#/map`);
      await waitFor('tiles drawn', () => page.evaluate(`[...document.querySelectorAll('img.map-tile')].filter((i) => i.complete && i.naturalWidth === 256).length >= 4`), 10_000, 200);
      expect(asked.every((u) => u.startsWith('/17/'))).toBe(true);

      const catalog = (await gw.api<ChannelDto[]>(`/api/devices/${deviceId}/channels`)).body;
      const a = catalog.find((c) => c.channelId === channelId(deviceId, 1))!;
      const b = catalog.find((c) => c.channelId === channelId(deviceId, 3))!;
      const centre = (id: string) => page.evaluate(`(() => {
        const r = document.querySelector('.map-marker[data-channel-id="${id}"]').getBoundingClientRect();
        return [r.left + r.width / 2, r.top + r.height / 2];
      })()`) as Promise<[number, number]>;
      const check = async (z: number) => {
        const [sa, sb] = [await centre(a.channelId), await centre(b.channelId)];
        const [wa, wb] = [worldPixel(a.longitude!, a.latitude!, z), worldPixel(b.longitude!, b.latitude!, z)];
        expect(Math.abs(sb[0] - sa[0] - (wb[0] - wa[0]))).toBeLessThan(1.5);
        expect(Math.abs(sb[1] - sa[1] - (wb[1] - wa[1]))).toBeLessThan(1.5);
      };
      await page.locator(`.map-marker[data-channel-id="${a.channelId}"]`).waitFor({ timeout: 5000 });
      await check(17);
      // The hand-placed channel is drawn too, through the plan's reference points.
      expect(await page.locator(`.map-marker[data-channel-id="${unplaced}"]`).isVisible()).toBe(true);
      await page.screenshot({ path: resolve(SCREENSHOT_DIR, 'map-tiles-1440x900.png') });

      const view = (await page.locator('[data-field=map-view]').boundingBox())!;
      await page.mouse.move(view.x + view.width / 2, view.y + view.height / 2);
      await page.mouse.wheel(0, -100);
      await waitFor('zoom 18 tiles asked', () => asked.some((u) => u.startsWith('/18/')), 5000, 100);
      await check(18);
      expect(pageErrors).toEqual([]);
    } finally {
      server.close();
    }
  }, 40_000);
});
