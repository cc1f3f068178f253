import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import type { ChannelDto, DeviceDto } from '@gb/contracts';
import { DeviceMediaSimulator, SimulatedDevice, buildChannels, channelId } from '../../apps/device-sim/src';
import { buildDashboard, launchChromium, type TestBrowser } from '../support/chromium';
import { startTestGateway, waitFor, TEST_ADMIN_PASSWORD, type TestGateway } from '../support/gateway-harness';

/**
 * The dashboard's congestion and alert pages in Debian Chromium, driven like an operator: a simulated camera streams
 * a queued motorway (TRANCOS cam1, the clip test/e2e/congestion-live.spec.ts uses), the real gateway with its embedded
 * vision worker scores it. In the browser: Watch congestion on the channel, the congestion page shows a level badge
 * and a chart line from live scores, the alert appears on the alerts page with its snapshot thumbnail, Ack records it.
 */

const ROOT = resolve(__dirname, '../..');
const JAM = resolve(ROOT, '../shared/media/traffic/trancos_jam_cam1_000042.jpg');
const PASSWORD = '12345678';
const SCREENSHOT_DIR = process.env.DASHBOARD_SCREENSHOT_DIR ?? '/tmp';

/** Polls an expression in the page (page.evaluate is not subject to the dashboard's CSP, waitForFunction is). */
function pagePoll(p: Page, what: string, expr: string, timeoutMs: number): Promise<unknown> {
  return waitFor(what, () => p.evaluate(expr), timeoutMs, 250);
}

describe('dashboard congestion and alerts in real Chromium (simulated camera -> gateway -> embedded worker)', () => {
  let gw: TestGateway;
  let media: DeviceMediaSimulator;
  let device: SimulatedDevice;
  let browser: TestBrowser;
  let page: Page;
  const deviceId = '34020000001320000932';
  const channel = channelId(deviceId, 1);
  const tmp = mkdtempSync(join(tmpdir(), 'dash-congestion-'));
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
        VISION_FPS: '2', VISION_HEARTBEAT_MS: '500', VISION_RETRY_MS: '1000',
        ALERT_LEVEL: 'moderate', ALERT_HOLD_MS: '2000', ALERT_CLEAR_LEVEL: 'light', ALERT_CLEAR_HOLD_MS: '2000', CONGESTION_SAMPLE_MS: '1000',
      }),
      launchChromium(),
      buildDashboard(),
    ]);
    media = new DeviceMediaSimulator({ file: clip, fps: 10, gop: 10 });
    device = new SimulatedDevice(
      {
        deviceId, serverHost: '127.0.0.1', serverPort: gw.sipPort, serverId: gw.config.SIP_ID, domain: gw.config.SIP_DOMAIN, password: PASSWORD,
        transport: 'udp', localHost: '127.0.0.1', expires: 3600, keepaliveSeconds: 30, charset: 'GB2312', catalogPerMessage: 2,
        channels: buildChannels(deviceId, 0, 1), manufacturer: 'GBSIM', model: 'SIM-IPC', firmware: '1', name: 'jam-cam', retryDelayMs: 0,
      },
      { onInvite: media.hook },
    );
    device.on('error', () => undefined);
    expect(await device.start()).toBe('registered');
    await waitFor('the device online', async () => (await gw.api<DeviceDto[]>('/api/devices')).body.some((d) => d.deviceId === deviceId && d.online), 10_000);
    await waitFor('the channel in the catalog', async () => (await gw.api<ChannelDto[]>(`/api/devices/${deviceId}/channels`)).body.some?.((c) => c.channelId === channel), 15_000);
    page = await browser.context.newPage();
    await page.setViewportSize({ width: 1400, height: 900 });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${gw.httpUrl}/`);
    await page.fill('input[name=password]', TEST_ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(/#\/devices$/);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    media?.close();
    await device?.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined);
    await gw?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('Watch congestion -> level badge and chart line on the congestion page; the alert shows its snapshot thumbnail; Ack marks it acked', async () => {
    await page.goto(`${gw.httpUrl}/#/devices/${deviceId}`);
    await page.click(`[data-channel-id="${channel}"] button[data-action=watch]`);
    await page.locator(`[data-channel-id="${channel}"] a.tag.watch`).waitFor({ timeout: 10_000 });

    // ROI through the editor: the whole frame, named "road".
    await page.click('a[data-nav=congestion]');
    const card = page.locator(`article.card.congestion[data-channel-id="${channel}"]`);
    await card.waitFor({ timeout: 5000 });
    await card.locator('.roi-editor summary').click();
    await pagePoll(page, 'the ROI editor loaded', `document.querySelector('[data-field=roi-json]').value.trim() === '[]'`, 5000);
    await card.locator('[data-field=roi-json]').fill(JSON.stringify([{ id: 'road', polygon: [[0, 0], [1, 0], [1, 1], [0, 1]] }]));
    await card.locator('.roi-editor button.primary').click();

    const badge = card.locator('.roi-score[data-roi=road] .level');
    await badge.waitFor({ timeout: 60_000 });
    await pagePoll(page, 'a road badge at moderate or above', `['moderate', 'heavy', 'severe'].includes(document.querySelector('.roi-score[data-roi=road] .level')?.dataset.level)`, 60_000);
    expect(await badge.textContent()).toMatch(/^(moderate|heavy|severe) · \d+$/);
    // A line, and a visible one: the default range fits the data, so a few seconds of scores span the chart.
    await pagePoll(page, 'a chart line at least 100 px wide', `(document.querySelector('article.card.congestion path[data-series=road]')?.getBoundingClientRect().width ?? 0) > 100`, 20_000);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/dashboard-congestion.png` });

    await page.click('a[data-nav=alerts]');
    await pagePoll(page, 'the alert count badge in the nav', `document.getElementById('alert-count').textContent === '1'`, 20_000);
    const row = page.locator('table.alerts tbody tr').first();
    await row.waitFor({ timeout: 20_000 });
    await pagePoll(page, 'the snapshot thumbnail decoded', `(document.querySelector('table.alerts img.thumb')?.naturalWidth ?? 0) > 0`, 10_000);
    expect(await row.locator('.level').getAttribute('data-level')).toMatch(/^(moderate|heavy|severe)$/);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/dashboard-alerts.png` });
    await row.locator('button', { hasText: 'Ack' }).click();
    await pagePoll(page, 'the row acked', `/acked by admin/.test(document.querySelector('table.alerts tbody tr').textContent)`, 5000);
    await pagePoll(page, 'the nav badge gone', `document.getElementById('alert-count').hidden`, 5000);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
