import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { decodePtzCmd } from '@gb/gb28181';
import { buildDashboard, launchChromium, type TestBrowser } from '../support/chromium';
import { startTestGateway, waitFor, TEST_ADMIN_PASSWORD, type TestGateway } from '../support/gateway-harness';
import { startSimDevice } from '../support/sim-device';
import { channelId, SIM_PRESETS, type QueryEvent, type SimulatedDevice } from '../../apps/device-sim/src';

const PASSWORD = '12345678';

/**
 * Issue 13 item 4 in real Chromium: the devices page's Control dialog reads the simulated camera's BasicParam, saves a
 * new heartbeat interval to it, asks for a keyframe and reboots it; the dome's live panel lists its named presets and
 * sends focus (held: FI near, then FI stop).
 */
describe('the dashboard’s device controls', () => {
  let gw: TestGateway;
  let browser: TestBrowser;
  let page: Page;
  let device: SimulatedDevice;
  const deviceId = '34020000001110000981';
  const dome = channelId(deviceId, 1);
  const got: QueryEvent[] = [];

  beforeAll(async () => {
    [gw, browser] = await Promise.all([startTestGateway({ SIP_PASSWORD: PASSWORD }), launchChromium(), buildDashboard()]);
    device = await startSimDevice(gw, { deviceId, password: PASSWORD, channels: 2, name: 'control-page-sim', extra: { rebootMs: 300 } }, (d) => d.on('query', (q: QueryEvent) => got.push(q)));
    page = await browser.context.newPage();
    page.on('dialog', (d) => void d.accept());
  }, 60_000);
  afterAll(async () => {
    await device?.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined);
    await browser?.close();
    await gw?.stop();
  });

  it('Control: BasicParam read and saved, keyframe, reboot; the live panel lists named presets and holds focus', async () => {
    await page.goto(gw.httpUrl + '/');
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', TEST_ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(/#\/devices$/);
    await page.click(`tr[data-device-id="${deviceId}"] button[data-action=device-control]`);
    const dlg = page.locator('dialog[open] [data-field=device-control]');
    await waitFor('the name read from the device', async () => (await dlg.locator('input[data-field=name]').inputValue()) === 'control-page-sim', 5000);
    expect(await dlg.locator('input[data-field=heartbeatIntervalS]').inputValue()).toBe('30');
    await dlg.locator('input[data-field=heartbeatIntervalS]').fill('15');
    const configured: number[] = [];
    device.on('configured', (c) => configured.push(c.basic.heartbeatIntervalS));
    await dlg.locator('button.primary').click();
    await waitFor('the device configured', () => configured.includes(15), 5000);

    got.length = 0;
    await dlg.locator('button', { hasText: 'Keyframe now' }).click();
    await waitFor('IFameCmd at the device', () => got.some((q) => q.fields?.['IFameCmd'] === 'Send'), 5000);
    const registered: boolean[] = [];
    device.on('registered', (r) => registered.push(r.refresh));
    await dlg.locator('button.danger').click();
    await waitFor('TeleBoot, then a new registration', () => got.some((q) => q.fields?.['TeleBoot'] === 'Boot') && registered.includes(false), 5000);
    await page.keyboard.press('Escape');

    await page.goto(`${gw.httpUrl}/#/devices/${deviceId}`);
    await page.click(`[data-channel-id="${dome}"] button[data-action=play]`);
    const extras = page.locator('.panel [data-field=ptz-extras]');
    await extras.waitFor({ timeout: 5000 });
    await extras.locator('button', { hasText: 'List presets' }).click();
    const options = extras.locator('select[data-field=presets] option');
    await waitFor('the named presets', async () => (await options.count()) === SIM_PRESETS.length, 5000);
    expect(await options.allTextContents()).toEqual(SIM_PRESETS.map((p) => `${p.index} ${p.name}`));

    got.length = 0;
    const near = extras.locator('button[data-ptz="ptz.focusNear"]');
    await near.hover();
    await page.mouse.down();
    await page.mouse.up();
    await waitFor('FI near then FI stop', () => got.filter((q) => q.ptzCmd).length >= 2, 5000);
    expect(got.filter((q) => q.ptzCmd).map((q) => decodePtzCmd(q.ptzCmd!).command)).toEqual([0x42, 0x40]);
  }, 40_000);
});
