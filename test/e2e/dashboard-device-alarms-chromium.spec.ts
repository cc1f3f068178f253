import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { DeviceAlarmPageDto } from '@gb/contracts';
import { buildDashboard, launchChromium, type TestBrowser } from '../support/chromium';
import { startTestGateway, waitFor, TEST_ADMIN_PASSWORD, type TestGateway } from '../support/gateway-harness';
import { startSimDevice } from '../support/sim-device';
import { channelId, type QueryEvent, type SimulatedDevice } from '../../apps/device-sim/src';

const PASSWORD = '12345678';

/**
 * Issue 13 item 3 in real Chromium: the Device alarms page lists the alarms a simulated NVR raised (stored by the
 * gateway), filters them by method, takes a new alarm live, and an operator acknowledges, clears and resets one at
 * the device (the simulator receives AlarmCmd ResetAlarm for that channel).
 */
describe('the dashboard’s Device alarms page', () => {
  let gw: TestGateway;
  let browser: TestBrowser;
  let page: Page;
  let device: SimulatedDevice;
  const deviceId = '34020000001110000971';
  const ch1 = channelId(deviceId, 1);
  const controls: QueryEvent[] = [];

  beforeAll(async () => {
    [gw, browser] = await Promise.all([startTestGateway({ SIP_PASSWORD: PASSWORD }), launchChromium(), buildDashboard()]);
    device = await startSimDevice(gw, { deviceId, password: PASSWORD, channels: 2, name: 'alarms-page-sim' }, (d) =>
      d.on('query', (q: QueryEvent) => {
        if (q.cmdType === 'DeviceControl') controls.push(q);
      }),
    );
    page = await browser.context.newPage();
  }, 60_000);
  afterAll(async () => {
    await device?.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined);
    await browser?.close();
    await gw?.stop();
  });

  it('lists stored alarms, filters by method, shows a new one live; acknowledge, clear and reset at the device work', async () => {
    expect(await device.sendAlarm({ channelId: ch1, priority: 1, method: 5, description: '视频丢失' })).toBe(200);
    expect(await device.sendAlarm({ priority: 2, method: 6, description: '硬盘故障' })).toBe(200);
    await waitFor('two stored alarms', async () => (await gw.api<DeviceAlarmPageDto>('/api/device-alarms')).body.items.length === 2, 5000);

    await page.goto(gw.httpUrl + '/');
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', TEST_ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(/#\/devices$/);
    await page.click('a[data-nav=device-alarms]');
    const rows = page.locator('table.device-alarms tbody tr');
    await waitFor('two rows', async () => (await rows.count()) === 2, 5000);
    expect(await rows.locator('[data-field=description]').allTextContents()).toEqual(['硬盘故障', '视频丢失']);

    await page.selectOption('select[data-filter=method]', '5');
    await waitFor('the video alarm alone', async () => (await rows.count()) === 1 && (await rows.first().locator('[data-field=description]').textContent()) === '视频丢失', 5000);
    // A new video alarm arrives on the event stream and joins the filtered list at the top.
    expect(await device.sendAlarm({ channelId: ch1, priority: 3, method: 5, description: '遮挡报警' })).toBe(200);
    await waitFor('the new alarm at the top', async () => (await rows.first().locator('[data-field=description]').textContent()) === '遮挡报警', 5000);

    const row = page.locator('tr', { has: page.locator('[data-field=description]', { hasText: '视频丢失' }) });
    await row.locator('[data-action=acknowledge]').click();
    await waitFor('acknowledged', async () => (await row.locator('[data-field=state]').textContent()) === 'acknowledged', 5000);
    await row.locator('[data-action=clear]').click();
    await waitFor('cleared', async () => (await row.locator('[data-field=state]').textContent()) === 'cleared', 5000);
    await row.locator('[data-action=reset]').click();
    await waitFor('the reset at the device', () => controls.length === 1, 5000);
    expect([controls[0]!.targetId, controls[0]!.fields]).toEqual([ch1, { AlarmCmd: 'ResetAlarm', Info: { AlarmMethod: '5' } }]);

    const states = (await gw.api<DeviceAlarmPageDto>(`/api/device-alarms?deviceId=${deviceId}`)).body.items.map((a) => [a.description, a.state, a.ackedBy, a.clearedBy]);
    expect(states).toEqual([['遮挡报警', 'open', null, null], ['硬盘故障', 'open', null, null], ['视频丢失', 'cleared', 'admin', 'admin']]);
  });
});
