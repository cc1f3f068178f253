import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { decodePtzCmd } from '@gb/gb28181';
import { buildDashboard, launchChromium, type TestBrowser } from '../support/chromium';
import { startTestGateway, waitFor, TEST_ADMIN_PASSWORD, type TestGateway } from '../support/gateway-harness';
import { startSimDevice } from '../support/sim-device';
import { DeviceMediaSimulator, channelId, SIM_PRESETS, type QueryEvent, type SimulatedDevice } from '../../apps/device-sim/src';

const PASSWORD = '12345678';

/**
 * Issue 13 item 4 in real Chromium: the devices page's Control dialog reads the simulated camera's BasicParam, saves a
 * new heartbeat interval to it, asks for a keyframe and reboots it; the dome's live panel lists its named presets and
 * sends focus (held: FI near, then FI stop); a rectangle dragged on the dome's live video goes out as DragZoomIn in the
 * picture's pixels.
 */
describe('the dashboard’s device controls', () => {
  let gw: TestGateway;
  let browser: TestBrowser;
  let page: Page;
  let device: SimulatedDevice;
  const deviceId = '34020000001110000981';
  const dome = channelId(deviceId, 1);
  const got: QueryEvent[] = [];
  const media = new DeviceMediaSimulator({ fps: 10, gop: 10 });

  beforeAll(async () => {
    [gw, browser] = await Promise.all([startTestGateway({ SIP_PASSWORD: PASSWORD }), launchChromium(), buildDashboard()]);
    device = await startSimDevice(gw, { deviceId, password: PASSWORD, channels: 2, name: 'control-page-sim', extra: { rebootMs: 300 }, hooks: { onInvite: media.hook } }, (d) => d.on('query', (q: QueryEvent) => got.push(q)));
    page = await browser.context.newPage();
    page.on('dialog', (d) => void d.accept());
  }, 60_000);
  afterAll(async () => {
    media.close();
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

    // Box zoom: armed by its button, a drag over the middle half of the live picture, sent as DragZoomIn.
    const video = `document.querySelector('.panel .player video')`;
    await waitFor('the dome playing', async () => Number(await page.evaluate(`${video}?.videoWidth ?? 0`)) > 0, 20_000, 200);
    const size = (await page.evaluate(`(() => { const v = ${video}; return { w: v.videoWidth, h: v.videoHeight, cw: v.clientWidth, ch: v.clientHeight }; })()`)) as { w: number; h: number; cw: number; ch: number };
    got.length = 0;
    await extras.locator('button[data-action=dragZoomIn]').click();
    expect(await extras.locator('button[data-action=dragZoomIn]').getAttribute('aria-pressed')).toBe('true');
    const box = (await page.locator('.panel [data-field=drag-zoom-layer]').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.25, box.y + box.height * 0.25);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5, { steps: 4 });
    await page.mouse.move(box.x + box.width * 0.75, box.y + box.height * 0.75, { steps: 4 });
    await page.mouse.up();
    await waitFor('DragZoomIn at the device', () => got.some((q) => q.fields?.['DragZoomIn'] !== undefined), 5000);
    const zoom = got.find((q) => q.fields?.['DragZoomIn'] !== undefined)!.fields!['DragZoomIn'] as Record<string, string>;
    // the simulated camera's picture has the element's aspect (16:9): it fills the element (to the pixel), no bars
    expect(Math.abs(size.w / size.h - size.cw / size.ch)).toBeLessThan(0.01);
    const [len, wid] = [Number(zoom['Length']), Number(zoom['Width'])];
    expect(Math.abs(len - size.cw)).toBeLessThanOrEqual(1);
    expect(Math.abs(wid - size.ch)).toBeLessThanOrEqual(1);
    expect(Math.abs(Number(zoom['MidPointX']) - len / 2)).toBeLessThanOrEqual(2);
    expect(Math.abs(Number(zoom['MidPointY']) - wid / 2)).toBeLessThanOrEqual(2);
    expect(Math.abs(Number(zoom['LengthX']) - len / 2)).toBeLessThanOrEqual(2);
    expect(Math.abs(Number(zoom['LengthY']) - wid / 2)).toBeLessThanOrEqual(2);
    // one rectangle, then disarmed: the layer is gone and the button released
    expect(await page.locator('.panel [data-field=drag-zoom-layer]').count()).toBe(0);
    expect(await extras.locator('button[data-action=dragZoomIn]').getAttribute('aria-pressed')).toBe('false');
  }, 60_000);
});
