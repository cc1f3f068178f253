import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { buildDashboard, launchChromium, type TestBrowser } from '../support/chromium';
import { startTestGateway, waitFor, TEST_ADMIN_PASSWORD, type TestGateway } from '../support/gateway-harness';
import { startSimDevice } from '../support/sim-device';
import { channelId, type SimulatedDevice } from '../../apps/device-sim/src';

const PASSWORD = '12345678';

/**
 * Talk from the dashboard in real Chromium with its fake microphone (a periodic beep): the channel card's Talk button
 * opens a voice session, the simulated camera decodes the page's G.711 to a non-silent signal, and the camera's
 * 440 Hz tone plays in the page (the analyser on the played audio shows energy); Hang up sends BYE.
 */
describe('talk from the dashboard (Chromium, fake microphone)', () => {
  let gw: TestGateway;
  let cam: SimulatedDevice;
  let browser: TestBrowser;
  let page: Page;
  const deviceId = '34020000001320000971';
  const channel = channelId(deviceId, 1);

  beforeAll(async () => {
    [gw, browser] = await Promise.all([
      startTestGateway({ SIP_PASSWORD: PASSWORD, RTP_PORT_MIN: '36200', RTP_PORT_MAX: '36299', STREAM_NO_RTP_TIMEOUT_MS: '2000', INVITE_TIMEOUT_MS: '2000' }),
      launchChromium({ args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] }),
      buildDashboard(),
    ]);
    cam = await startSimDevice(gw, { deviceId, password: PASSWORD, channels: 1, extra: { voice: { payload: 'PCMA' } } });
    page = await browser.context.newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await cam?.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined);
    await gw?.stop();
  });

  it('Talk: the fake microphone reaches the camera as G.711 it decodes to a non-silent signal, and the camera\'s tone reaches the page', async () => {
    await page.goto(gw.httpUrl + '/');
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', TEST_ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.locator(`tr[data-device-id="${deviceId}"]`).waitFor({ timeout: 5000 });
    await page.goto(`${gw.httpUrl}/#/devices/${deviceId}`);
    await page.click(`[data-channel-id="${channel}"] button[data-action=play]`, { timeout: 5000 });
    const voice = page.locator('.panel [data-field=voice]');
    await voice.locator('button[data-voice=talk]').click({ timeout: 5000 });
    await expect.poll(() => voice.getAttribute('data-voice-state'), { timeout: 8000 }).toBe('live');
    // Chromium's fake microphone beeps once a second: wait for at least one beep's energy at the camera
    await waitFor('a non-silent signal at the camera', () => cam.voice.stats.samples >= 8000 && cam.voice.stats.peakFrameRms > 1000, 10_000);
    expect(cam.voice.stats).toMatchObject({ payload: 'PCMA', active: true });
    await expect.poll(async () => Number(await voice.getAttribute('data-voice-level')), { timeout: 5000 }).toBeGreaterThan(0.02);
    await voice.locator('button[data-voice=stop]').click();
    await waitFor('the camera got the BYE', () => !cam.voice.stats.active, 5000);
    expect(await voice.getAttribute('data-voice-state')).toBe('idle');
  });
});
