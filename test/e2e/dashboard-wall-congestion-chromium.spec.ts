import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import type { ChannelCongestionDto, ChannelDto, CongestionLevel, DeviceDto } from '@gb/contracts';
import { DeviceMediaSimulator, SimulatedDevice, buildChannels, channelId } from '../../apps/device-sim/src';
import { buildDashboard, launchChromium, type TestBrowser } from '../support/chromium';
import { startTestGateway, waitFor, TEST_ADMIN_PASSWORD, type TestGateway } from '../support/gateway-harness';

/**
 * The video wall's congestion overlay (issue #10 item 1) on a REALLY watched channel, in Debian Chromium: a simulated
 * camera streams a queued motorway (TRANCOS cam1, as test/e2e/congestion-live.spec.ts), the real gateway's embedded
 * vision worker scores it with YOLOX-Nano. On a 1×1 wall the tile shows the level of GET /api/congestion as badge and
 * frame colour, the channel's ROI polygon, and, after the Boxes toggle, the detection boxes the scores carry.
 * Screenshot at 1440x900 in test-artifacts/screenshots/ (gitignored).
 */

const ROOT = resolve(__dirname, '../..');
const JAM = resolve(ROOT, '../shared/media/traffic/trancos_jam_cam1_000042.jpg');
const PASSWORD = '12345678';
const SCREENSHOT_DIR = process.env.DASHBOARD_SCREENSHOT_DIR ?? resolve(ROOT, 'test-artifacts/screenshots');
const TILE = '[data-field=wall-grid] [data-tile="0"]';
const ROAD = [[0.02, 0.3], [0.98, 0.3], [0.98, 0.98], [0.02, 0.98]];
/** The wall's frame colours (web/src/style.css, .wall-tile.lvl-*). */
const FRAME_COLOURS: Record<CongestionLevel, string> = {
  free: 'rgb(22, 163, 74)', light: 'rgb(101, 163, 13)', moderate: 'rgb(202, 138, 4)', heavy: 'rgb(234, 88, 12)', severe: 'rgb(220, 38, 38)',
};

describe('the video wall on a watched channel in real Chromium (simulated camera -> gateway -> embedded worker)', () => {
  let gw: TestGateway;
  let media: DeviceMediaSimulator;
  let device: SimulatedDevice;
  let browser: TestBrowser;
  let page: Page;
  const deviceId = '34020000001320000936';
  const channel = channelId(deviceId, 1);
  const tmp = mkdtempSync(join(tmpdir(), 'wall-congestion-'));
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const ff = spawnSync('ffmpeg', ['-hide_banner', '-encoders'], { encoding: 'utf8' });
    if (ff.status !== 0 || !ff.stdout.includes('libx264')) throw new Error('this test needs ffmpeg with libx264 on PATH: install it (apt-get install -y ffmpeg)');
    const clip = join(tmp, 'jam.mp4');
    const enc = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-loop', '1', '-i', JAM, '-t', '6', '-r', '10', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip], { encoding: 'utf8' });
    expect(enc.status, enc.stderr).toBe(0);
    const rtpMin = 40000 + 2 * Math.floor(Math.random() * 9900);
    [gw, browser] = await Promise.all([
      startTestGateway({
        SIP_PASSWORD: PASSWORD, RTP_PORT_MIN: String(rtpMin), RTP_PORT_MAX: String(rtpMin + 15),
        VISION_FPS: '2', VISION_HEARTBEAT_MS: '500', VISION_RETRY_MS: '1000', CONGESTION_SAMPLE_MS: '1000',
      }),
      launchChromium(),
      buildDashboard(),
    ]);
    media = new DeviceMediaSimulator({ file: clip, fps: 10, gop: 10 });
    device = new SimulatedDevice(
      {
        deviceId, serverHost: '127.0.0.1', serverPort: gw.sipPort, serverId: gw.config.SIP_ID, domain: gw.config.SIP_DOMAIN, password: PASSWORD,
        transport: 'udp', localHost: '127.0.0.1', expires: 3600, keepaliveSeconds: 30, charset: 'GB2312', catalogPerMessage: 2,
        channels: buildChannels(deviceId, 0, 1), manufacturer: 'GBSIM', model: 'SIM-IPC', firmware: '1', name: 'wall-jam-cam', retryDelayMs: 0,
      },
      { onInvite: media.hook },
    );
    device.on('error', () => undefined);
    expect(await device.start()).toBe('registered');
    await waitFor('the device online', async () => (await gw.api<DeviceDto[]>('/api/devices')).body.some((d) => d.deviceId === deviceId && d.online), 10_000);
    await waitFor('the channel in the catalog', async () => (await gw.api<ChannelDto[]>(`/api/devices/${deviceId}/channels`)).body.some?.((c) => c.channelId === channel), 15_000);
    page = await browser.context.newPage();
    await page.setViewportSize({ width: 1440, height: 900 });
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    media?.close();
    await device?.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined);
    await gw?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('a 1×1 wall on the watched channel shows the API’s level as badge and frame colour, the ROI polygon, and after the Boxes toggle the scored frame’s detection boxes', async () => {
    const put = await gw.api(`/api/channels/${channel}/rois`, { method: 'PUT', body: JSON.stringify({ rois: [{ id: 'road', polygon: ROAD }] }) });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const w = await gw.api<ChannelCongestionDto>(`/api/channels/${channel}/watch`, { method: 'POST' });
    expect(w.status, JSON.stringify(w.body)).toBe(200);
    const current = async () => (await gw.api<ChannelCongestionDto[]>('/api/congestion')).body.find((x) => x.channelId === channel);
    const scored = await waitFor('a road score with boxes', async () => {
      const c = await current();
      if (c?.state === 'error') throw new Error(`channel error: ${c.error}`);
      return c && c.scores.some((s) => s.roi === 'road') && c.boxes.length > 0 ? c : null;
    }, 60_000, 250);
    console.info(`[wall-congestion] ${scored.boxes.length} boxes, road ${scored.scores[0]!.level} ${scored.scores[0]!.index}`);
    expect(scored.boxes.some((b) => ['car', 'truck', 'bus'].includes(b.label))).toBe(true);
    for (const b of scored.boxes) expect(b.x1 >= 0 && b.x1 < b.x2 && b.x2 <= 1 && b.y1 >= 0 && b.y1 < b.y2 && b.y2 <= 1).toBe(true);

    await page.goto(`${gw.httpUrl}/`);
    await page.fill('input[name=password]', TEST_ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(/#\/devices$/);
    await page.click('a[data-nav=wall]');
    await page.waitForURL(/#\/wall$/);
    await page.click('button[data-layout="1"]');
    await page.click(`[data-field=wall-picker] [data-channel-id="${channel}"]`);
    const tile = page.locator(TILE);
    await tile.click();
    await waitFor('the tile live', async () => (await tile.getAttribute('data-state')) === 'live', 20_000);

    // Level: the tile's badge and frame follow the API's (the clip is a still jam, so the level holds between reads).
    const level = await waitFor('the tile at the API’s level', async () => {
      const api = (await current())!.scores.find((s) => s.roi === 'road')!.level;
      return (await tile.getAttribute('data-level')) === api ? api : null;
    }, 10_000, 250);
    expect(await tile.getAttribute('class')).toContain(`lvl-${level}`);
    expect(await page.evaluate(`getComputedStyle(document.querySelector('${TILE}')).outlineColor`)).toBe(FRAME_COLOURS[level]);
    expect(await tile.locator('[data-field=tile-level]').textContent()).toMatch(new RegExp(`^${level} · \\d+$`));

    // The ROI polygon, scaled to the video's pixels (the overlay's viewBox is the video size once it plays).
    const [vw, vh] = (await page.evaluate(`(() => { const v = document.querySelector('${TILE} video'); return [v.videoWidth, v.videoHeight]; })()`)) as [number, number];
    expect(vw).toBeGreaterThan(0);
    const polygon = tile.locator('[data-field=tile-rois] polygon[data-roi=road]');
    expect(await polygon.count()).toBe(1);
    const points = ((await polygon.getAttribute('points')) ?? '').split(' ').map((p) => p.split(',').map(Number));
    expect(points).toHaveLength(4);
    points.forEach(([x, y], i) => {
      expect(x).toBeCloseTo(ROAD[i]![0]! * vw, 3);
      expect(y).toBeCloseTo(ROAD[i]![1]! * vh, 3);
    });

    // Boxes: none until the toggle, then those of the latest scores, vehicles in their own colour.
    const toggle = tile.locator('button[data-action=tile-boxes]');
    expect(await toggle.isVisible()).toBe(true);
    expect(await toggle.textContent()).toBe('Boxes');
    expect(await tile.locator('[data-field=tile-rois] rect.wall-box').count()).toBe(0);
    await toggle.click();
    expect(await toggle.getAttribute('aria-pressed')).toBe('true');
    await waitFor('boxes drawn', async () => (await tile.locator('[data-field=tile-rois] rect.wall-box').count()) > 0, 10_000);
    const vehicles = tile.locator('[data-field=tile-rois] rect.wall-box[data-kind=vehicle]');
    expect(await vehicles.count()).toBeGreaterThan(0);
    expect(await vehicles.first().getAttribute('stroke')).toBe('#4ade80');
    const drawn: number[] = [];
    for (const [i, a] of ['x', 'y', 'width', 'height'].entries()) drawn[i] = Number(await vehicles.first().getAttribute(a));
    expect(drawn.every((n) => Number.isFinite(n)) && drawn[2]! > 0 && drawn[3]! > 0 && drawn[0]! + drawn[2]! <= vw + 0.01).toBe(true);
    // Updated with each score: the next congestion.score event redraws the boxes (a mark on the old rect goes with it).
    await page.evaluate(`document.querySelector('${TILE} rect.wall-box').dataset.old = '1'`);
    await waitFor('the boxes redrawn by a later score', async () => (await page.evaluate(`!document.querySelector('${TILE} rect.wall-box[data-old]')`)) === true, 5000, 100);
    expect(await tile.locator('[data-field=tile-rois] rect.wall-box').count()).toBeGreaterThan(0);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/dashboard-wall-congestion.png` });

    await toggle.click();
    expect(await tile.locator('[data-field=tile-rois] rect.wall-box').count()).toBe(0);
    expect(await tile.locator('[data-field=tile-rois] polygon').count()).toBe(1);
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
