import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { buildDashboard, launchChromium, type TestBrowser } from '../support/chromium';
import { startTestGateway, waitFor, TEST_ADMIN_PASSWORD, type TestGateway } from '../support/gateway-harness';
import { RawUdpDevice } from '../support/raw-udp-device';
import { e2eGatewayEnv } from './e2e-fixture';

/** Issue #8 item 7: a device refused for its password is visible on the dashboard's devices page, in real Chromium. */
const ID = '34020000001320000801';

describe('the dashboard’s Registration failures section', () => {
  let gw: TestGateway;
  let browser: TestBrowser;
  let page: Page;
  let device: RawUdpDevice;

  beforeAll(async () => {
    [gw, browser] = await Promise.all([startTestGateway(e2eGatewayEnv({ KEEPALIVE_INTERVAL_S: '60' })), launchChromium(), buildDashboard()]);
    device = await RawUdpDevice.open({ gatewayPort: gw.sipPort, deviceId: ID, password: 'not-the-password' });
    page = await browser.context.newPage();
  }, 60_000);
  afterAll(async () => {
    device?.close();
    await browser?.close();
    await gw?.stop();
  });

  it('a device answering digests with the wrong password shows with its 403 count and last reason', async () => {
    expect(await device.register()).toBe(403);
    expect(await device.register()).toBe(403);
    await page.goto(gw.httpUrl + '/');
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', TEST_ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(/#\/devices$/);
    const row = page.locator(`tr[data-failure-device-id="${ID}"]`);
    await row.waitFor({ timeout: 5000 });
    expect(await row.locator('[data-field=forbidden]').textContent()).toBe('2');
    expect(await row.locator('[data-field=last-reason]').textContent()).toBe('403 wrong password');
    await waitFor('the totals line', async () => /2 403s/.test((await page.locator('[data-field=failures-summary]').textContent()) ?? ''), 5000);
  });
});
