import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Page } from 'playwright-core';
import type { DeviceDto } from '@gb/contracts';
import { SimulatedDevice, buildChannels } from '../../apps/device-sim/src';
import { buildDashboard, launchChromium, mseSupport, type TestBrowser } from '../support/chromium';
import { waitFor, TEST_ADMIN_PASSWORD } from '../support/gateway-harness';
import { MEDIA_PASSWORD, requireTool, startMediaRig, type MediaRig } from '../support/media-probe';

/**
 * The operator dashboard (web/, bundled by vite into dist/web and served by the gateway at /) in Debian Chromium,
 * against a real gateway, one simulated camera streaming H.264 and one simulated NVR with a nested channel tree.
 */

const SCREENSHOT_DIR = process.env.DASHBOARD_SCREENSHOT_DIR ?? '/tmp';
const NVR_ID = '34020000001180000001';
const NVR_CHANNELS = 3;

let rig: MediaRig;
let browser: TestBrowser;
let page: Page;
let nvr: SimulatedDevice | undefined;
const pageErrors: string[] = [];

beforeAll(async () => {
  requireTool('ffmpeg');
  [rig, browser] = await Promise.all([startMediaRig({ codec: 'h264', width: 640, height: 360 }, { STREAM_NO_RTP_TIMEOUT_MS: '3000' }), launchChromium(), buildDashboard()]);
  // An NVR without media: channel 3 sits under channel 1 (ParentID), so the tree has two levels.
  const channels = buildChannels(NVR_ID, 1, NVR_CHANNELS);
  channels[2]!.parentId = channels[0]!.deviceId!;
  nvr = new SimulatedDevice({
    deviceId: NVR_ID, serverHost: '127.0.0.1', serverPort: rig.gw.sipPort, serverId: rig.gw.config.SIP_ID, domain: rig.gw.config.SIP_DOMAIN,
    password: MEDIA_PASSWORD, transport: 'udp', localHost: '127.0.0.1', expires: 3600, keepaliveSeconds: 30, charset: 'GB2312',
    catalogPerMessage: 2, channels, manufacturer: 'GBSIM', model: 'SIM-NVR', firmware: '1', name: 'sim-nvr', retryDelayMs: 0,
  });
  nvr.on('error', () => undefined);
  expect(await nvr.start()).toBe('registered');
  await waitFor('both devices online with their catalogs', async () => {
    const r = await rig.gw.api<DeviceDto[]>('/api/devices');
    return r.body.length === 2 && r.body.every((d) => d.online && d.channelCount > 0);
  }, 15_000);
  page = await browser.context.newPage();
  await page.setViewportSize({ width: 1400, height: 860 });
  page.on('pageerror', (e) => pageErrors.push(e.message));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await nvr?.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined);
  await rig?.close();
});

/**
 * Polls an expression in the page until it is truthy. (Not page.waitForFunction: its polling evaluates the predicate
 * with eval inside the page, which the dashboard's CSP forbids; page.evaluate goes through the debugger protocol.)
 */
function pagePoll(p: Page, what: string, expr: string, timeoutMs: number): Promise<unknown> {
  return waitFor(what, () => p.evaluate(expr), timeoutMs, 200);
}

/** The device row's online flag and channel count as the page shows them. */
async function rowOf(p: Page, deviceId: string): Promise<{ online: string | null; channels: string }> {
  const row = p.locator(`tr[data-device-id="${deviceId}"]`);
  return { online: await row.getAttribute('data-online'), channels: (await row.locator('[data-field=channels]').textContent()) ?? '' };
}

describe('the dashboard in real Chromium', () => {
  it('GET / serves the dashboard with a CSP; a wrong password shows the API’s plain message, not a status code', async () => {
    const res = await page.goto(rig.gw.httpUrl + '/');
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', 'not-the-password');
    await page.click('button[type=submit]');
    const error = page.locator('[data-field=login-error]');
    await expect.poll(() => error.textContent(), { timeout: 5000 }).toBe('Invalid username or password');
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
  });

  it('after login the device list shows both devices online with their channel counts', async () => {
    await page.fill('input[name=password]', TEST_ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(/#\/devices$/);
    await page.locator(`tr[data-device-id="${NVR_ID}"]`).waitFor({ timeout: 5000 });
    await page.locator(`tr[data-device-id="${rig.deviceId}"]`).waitFor({ timeout: 5000 });
    expect(await rowOf(page, NVR_ID)).toEqual({ online: 'true', channels: String(NVR_CHANNELS) });
    expect(await rowOf(page, rig.deviceId)).toEqual({ online: 'true', channels: '1' });
    await pagePoll(page, 'the event stream connected', `document.getElementById('live').classList.contains('up')`, 5000);
    expect(await page.locator('[data-field=summary]').textContent()).toBe('2 online / 2 devices');
    await page.screenshot({ path: `${SCREENSHOT_DIR}/dashboard-devices.png` });
  });

  it('a device that unregisters turns offline in the list without a reload (WebSocket event)', async () => {
    await page.evaluate('window.__sameDocument = true');
    await nvr!.stop({ unregister: true, timeoutMs: 2000 });
    await page.waitForSelector(`tr[data-device-id="${NVR_ID}"][data-online="false"]`, { timeout: 5000 });
    expect(await page.evaluate('window.__sameDocument === true')).toBe(true);
    expect((await rowOf(page, rig.deviceId)).online).toBe('true');
    expect(await page.locator('[data-field=summary]').textContent()).toBe('1 online / 2 devices');
  });

  it('the NVR’s channel page nests channel 3 under channel 1 (ParentID tree)', async () => {
    await page.click(`tr[data-device-id="${NVR_ID}"] a[data-field=channels]`);
    await page.waitForSelector('[data-field=channel-tree] ul.root', { timeout: 5000 });
    const nested = await page.evaluate(`(() => {
      const lis = [...document.querySelectorAll('[data-field=channel-tree] ul.root > li')];
      return lis.map((li) => [...li.querySelectorAll('[data-channel-id]')].map((n) => n.dataset.channelId));
    })()`) as string[][];
    const ids = buildChannels(NVR_ID, 1, NVR_CHANNELS).map((c) => c.deviceId!);
    expect(nested).toEqual([[ids[0], ids[2]], [ids[1]]]);
  });

  it('Play on the camera’s channel opens the inline player (WebRTC first) and the video element’s currentTime advances', async () => {
    const mse = await mseSupport(browser.context);
    expect(mse.h264, 'this Chromium cannot decode H.264 in MSE').toBe(true);
    await page.goto(`${rig.gw.httpUrl}/#/devices/${rig.deviceId}`);
    // WebRTC gets 8 s instead of 2 before the player goes on with FLV (web/src/whep-client.ts): a loaded machine is slow at ICE + DTLS.
    await page.evaluate(`localStorage.setItem('gbgw.webrtcWaitMs', '8000')`);
    await page.click(`[data-channel-id="${rig.channelId}"] button[data-action=play]`);
    const t0 = Date.now();
    try {
      await pagePoll(page, 'the video past 1 s', `(document.querySelector('.panel video')?.currentTime ?? 0) > 1`, 25_000);
    } catch (e) {
      const status = await page.locator('.panel .player-status').textContent().catch(() => null);
      throw new Error(`the inline player did not play past 1 s: status "${status}"; page errors: ${pageErrors.join(' | ')}`, { cause: e });
    }
    const first = (await page.evaluate(`document.querySelector('.panel video').currentTime`)) as number;
    console.info(`[dashboard] live WebRTC in the dashboard: currentTime > 1 s after ${Date.now() - t0} ms`);
    await pagePoll(page, 'the video one more second on', `document.querySelector('.panel video').currentTime > ${first + 1}`, 5000);
    expect(await page.locator('.panel .player-status').textContent()).toMatch(/^playing WebRTC/);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/dashboard-player.png` });
    expect(pageErrors).toEqual([]);
  }, 40_000);

  it('the live panel’s PTZ pad: holding ◀ sends a left move to the camera, letting go sends stop', async () => {
    const seen: { cmdType: string; ptzCmd?: string; targetId?: string }[] = [];
    const onQuery = (q: { cmdType: string; ptzCmd?: string; targetId?: string }) => {
      if (q.cmdType === 'DeviceControl') seen.push(q);
    };
    rig.device.on('query', onQuery);
    try {
      const left = page.locator('.panel [data-field=ptz] button[data-ptz=left]');
      await left.hover();
      await page.mouse.down();
      await waitFor('the move at the camera', async () => seen.length >= 1, 5000);
      await page.mouse.up();
      await waitFor('the stop at the camera', async () => seen.length >= 2, 5000);
      const { decodePtzCmd } = await import('@gb/gb28181');
      expect(seen.map((q) => decodePtzCmd(q.ptzCmd!).command)).toEqual([0x02, 0x00]);
      expect(seen.every((q) => q.targetId === rig.channelId)).toBe(true);
      expect(pageErrors).toEqual([]);
    } finally {
      rig.device.off('query', onQuery);
    }
  }, 20_000);

  it('the Streams page lists the live stream as playing and a failed one with its catalogue code and cause', async () => {
    const silent = await rig.addCamera({ noRtp: true });
    const r = await rig.gw.api<{ code: string }>(`/api/devices/${silent.deviceId}/channels/${silent.channelId}/play`, { method: 'POST', body: JSON.stringify({ transport: 'udp' }) });
    expect([r.status, r.body.code]).toEqual([504, 'MEDIA_NO_RTP']);
    await page.click('a[data-nav=streams]');
    await page.waitForURL(/#\/streams$/);
    const failed = page.locator(`tr[data-stream^="${silent.deviceId}_"]`);
    await failed.waitFor({ timeout: 5000 });
    expect(await failed.locator('code').textContent()).toBe('MEDIA_NO_RTP');
    expect(await failed.textContent()).toMatch(/failed.*no packet at all arrived at 127\.0\.0\.1:\d+/);
    const live = page.locator(`tr[data-stream="${rig.deviceId}_${rig.channelId}"]`);
    expect(await live.locator('.state').textContent()).toBe('playing');
    expect(await live.textContent()).toMatch(/h264 640×360/);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/dashboard-streams.png` });
    expect(pageErrors).toEqual([]);
  }, 30_000);
});
