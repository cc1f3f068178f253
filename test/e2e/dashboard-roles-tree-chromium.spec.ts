import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { ChannelPageDto } from '@gb/contracts';
import { buildChannels, type SimulatedDevice } from '../../apps/device-sim/src';
import { en } from '../../web/src/locales/en';
import { buildDashboard, CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/chromium';
import { startTestGateway, TEST_ADMIN_PASSWORD, waitFor, type TestGateway } from '../support/gateway-harness';
import { startSimDevice } from '../support/sim-device';
import { FakeLowerPlatform } from '../support/fake-lower-platform';
import { e2eGatewayEnv, SIP_PASSWORD } from './e2e-fixture';

/**
 * Issue #10 items 4 and 7 (UI): the channel tree of every device (by device, by civil-code region, online counts,
 * a search that keeps only the rows in view in the DOM) and the role-aware dashboard (a viewer sees no PTZ pad, no
 * Ack, no device edit/delete, no catalog sync, no watch/ROI editing), in real Chromium against a real gateway with
 * three simulated devices of 100 channels each (every tenth OFF). Screenshots at 1440×900 under test-artifacts/.
 */

const SHOTS = process.env.DASHBOARD_I18N_SCREENSHOT_DIR ?? resolve(__dirname, '../../test-artifacts/screenshots');
const CHANNELS = 100;
/** Device IDs, and the civil code each one's channels carry (two districts of 3301, one of 3201). */
const FLEET = [
  { id: '33010600001320000501', civil: '330106', name: '西湖区路口' },
  { id: '33010800001320000502', civil: '330108', name: '滨江区路口' },
  { id: '32010200001320000503', civil: '320102', name: '玄武区路口' },
];
const VIEWER = { username: 'vera', password: 'vera-password-1', role: 'viewer' };
const OPERATOR = { username: 'otto', password: 'otto-password-1', role: 'operator' };
/** The most tree rows the DOM may hold at once: the view's rows plus the virtual list's overscan. */
const MAX_ROWS_IN_DOM = 80;

let gw: TestGateway;
const devices: SimulatedDevice[] = [];
let browser: Browser;
let lower: FakeLowerPlatform | undefined;
const pageErrors: string[] = [];
/** Channel 77 of the third device: the one the search looks for. */
const target = buildChannels(FLEET[2]!.id, 2, CHANNELS, FLEET[2]!.civil)[76]!;

async function loginAs(username: string, password: string): Promise<Page> {
  const ctx = await browser.newContext({ locale: 'en-US', viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${gw.httpUrl}/`);
  await page.locator('form.login').waitFor({ timeout: 10_000 });
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForURL(/#\/devices$/);
  await page.locator('header [data-field=user]').filter({ hasText: username }).waitFor({ timeout: 10_000 });
  return page;
}

async function visit(p: Page, hash: string, ready: string): Promise<void> {
  await p.goto(`${gw.httpUrl}/${hash}`);
  await p.locator(ready).first().waitFor({ timeout: 10_000 });
  await p.waitForLoadState('networkidle').catch(() => undefined);
}

const shot = (p: Page, name: string) => p.screenshot({ path: `${SHOTS}/dashboard-${name}.png` });
const rowCount = (p: Page) => p.locator('[data-field=channel-vtree] li.tree-row').count();

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  [gw] = await Promise.all([startTestGateway(e2eGatewayEnv({ KEEPALIVE_INTERVAL_S: '60', VISION_EMBEDDED: 'false' })), buildDashboard()]);
  await Promise.all(
    FLEET.map(async (f, i) => {
      const channels = buildChannels(f.id, i, CHANNELS, f.civil).map((c, k) => (k % 10 === 9 ? { ...c, status: 'OFF' } : c));
      devices.push(await startSimDevice(gw, { deviceId: f.id, password: SIP_PASSWORD, channels: CHANNELS, name: f.name, extra: { channels, catalogPerMessage: 10 } }));
    }),
  );
  for (const u of [VIEWER, OPERATOR]) {
    const r = await gw.api('/api/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(u) });
    expect(r.status).toBe(201);
  }
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
}, 90_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await lower?.close();
  await Promise.all(devices.map((d) => d.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined)));
  await gw?.stop();
});

describe('the channel tree of every device and the role-aware dashboard', () => {
  it('GET /api/channels pages through every device’s channels from the database, finds one by name, and refuses a limit over its bound', async () => {
    const all = await gw.api<ChannelPageDto>('/api/channels?limit=1000');
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(FLEET.length * CHANNELS);
    expect(all.body.items).toHaveLength(FLEET.length * CHANNELS);
    const page2 = await gw.api<ChannelPageDto>('/api/channels?limit=50&offset=250');
    expect(page2.body.items.map((c) => c.channelId)).toEqual(all.body.items.slice(250, 300).map((c) => c.channelId));
    const found = await gw.api<ChannelPageDto>(`/api/channels?search=${encodeURIComponent(target.name!)}`);
    expect(found.body.items.map((c) => [c.deviceId, c.channelId])).toEqual([[FLEET[2]!.id, target.deviceId]]);
    expect((await gw.api<ChannelPageDto>('/api/channels?search=%25_')).body.total).toBe(0);
    expect((await gw.api('/api/channels?limit=5001')).status).toBe(400);
  });

  it('a viewer sees the user name and role, and no PTZ pad, Ack, device edit/delete, catalog sync, watch or ROI editing', async () => {
    const page = await loginAs(VIEWER.username, VIEWER.password);
    expect(await page.locator('header [data-field=user]').textContent()).toBe('vera (viewer)');
    await visit(page, '#/devices', `tr[data-device-id="${FLEET[0]!.id}"]`);
    expect(await page.locator('td.actions button').count()).toBe(0);
    await shot(page, 'roles-viewer-devices');

    const dome = buildChannels(FLEET[0]!.id, 0, 1, FLEET[0]!.civil)[0]!.deviceId!;
    await visit(page, `#/devices/${FLEET[0]!.id}`, '[data-field=channel-tree] ul.root');
    expect(await page.locator('button[data-action=catalog-sync], button[data-action=watch], button[data-action=snapshot]').count()).toBe(0);
    await page.click(`[data-channel-id="${dome}"] button[data-action=play]`);
    await page.locator('.panel .player').waitFor({ timeout: 5000 });
    expect(await page.locator('.panel [data-field=ptz]').count()).toBe(0);

    await visit(page, '#/channels', '[data-field=channel-vtree] li.tree-row');
    expect(await page.locator('[data-field=channel-vtree] button[data-action=watch]').count()).toBe(0);
    await visit(page, '#/alerts', 'table.alerts');
    expect(await page.locator('form.ack-form').count()).toBe(0);
    await visit(page, '#/congestion', 'section.page h1');
    expect(await page.locator('.roi-editor').count()).toBe(0);
    await shot(page, 'roles-viewer-tree');
    await page.context().close();
  }, 60_000);

  it('an operator may sync catalogs, steer, control devices and watch, but sees no device edit or delete', async () => {
    const page = await loginAs(OPERATOR.username, OPERATOR.password);
    expect(await page.locator('header [data-field=user]').textContent()).toBe('otto (operator)');
    await visit(page, '#/devices', `tr[data-device-id="${FLEET[0]!.id}"]`);
    expect(await page.locator(`tr[data-device-id="${FLEET[0]!.id}"] td.actions button`).allTextContents()).toEqual([en['devices.sync'], en['deviceControl.open']]);
    const dome = buildChannels(FLEET[0]!.id, 0, 1, FLEET[0]!.civil)[0]!.deviceId!;
    await visit(page, `#/devices/${FLEET[0]!.id}`, '[data-field=channel-tree] ul.root');
    expect(await page.locator('button[data-action=catalog-sync]').count()).toBe(1);
    expect(await page.locator(`[data-channel-id="${dome}"] button[data-action=watch]`).count()).toBe(1);
    await page.click(`[data-channel-id="${dome}"] button[data-action=play]`);
    await page.locator('.panel [data-field=ptz]').waitFor({ timeout: 5000 });
    await page.context().close();
  }, 60_000);

  it('as admin, the tree shows devices and civil-code regions with online counts; a search among 300 channels finds one while the DOM holds few rows', async () => {
    const page = await loginAs('admin', TEST_ADMIN_PASSWORD);
    expect(await page.locator('header [data-field=user]').textContent()).toBe('admin (admin)');
    await visit(page, '#/devices', `tr[data-device-id="${FLEET[0]!.id}"]`);
    expect(await page.locator(`tr[data-device-id="${FLEET[0]!.id}"] td.actions button`).count()).toBe(4);

    // Devices in ID order: the first one's row and channels fill the view.
    const first = [...FLEET].sort((a, b) => a.id.localeCompare(b.id))[0]!;
    await visit(page, '#/channels', `[data-field=channel-vtree] li[data-device-id="${first.id}"]`);
    expect(await page.locator('[data-field=tree-summary]').textContent()).toBe('270 online / 300 channels · 3 devices');
    const deviceRow = page.locator(`[data-field=channel-vtree] li[data-device-id="${first.id}"]`);
    expect(await deviceRow.locator('[data-field=counts]').textContent()).toBe('90/100');
    expect(await deviceRow.locator('.dot').getAttribute('class')).toContain('on');
    const rows = await rowCount(page);
    expect(rows).toBeGreaterThan(10);
    expect(rows).toBeLessThan(MAX_ROWS_IN_DOM);
    await shot(page, 'tree-by-device');

    // Scrolling deep into the list draws the rows there and drops the others.
    await page.locator('[data-field=channel-vtree]').evaluate((el) => (el.scrollTop = 150 * 34));
    await page.locator('[data-field=channel-vtree] li.tree-row[style*="top: 5100px"]').waitFor({ timeout: 5000 });
    expect(await page.locator('[data-field=channel-vtree] li.tree-row[style*="top: 0px"]').count()).toBe(0);
    expect(await rowCount(page)).toBeLessThan(MAX_ROWS_IN_DOM);
    await page.locator('[data-field=channel-vtree]').evaluate((el) => (el.scrollTop = 0));

    // Regions by civil code: 32 (Jiangsu) first, open with its 100 cameras; collapsing it brings 33 (Zhejiang) into view.
    await page.selectOption('[data-field=tree-grouping]', 'region');
    const jiangsu = page.locator('[data-field=channel-vtree] li[data-key="r:32"]');
    await jiangsu.waitFor({ timeout: 5000 });
    expect(await jiangsu.locator('[data-field=counts]').textContent()).toBe('90/100');
    await jiangsu.locator('button.expander').click();
    const zhejiang = page.locator('[data-field=channel-vtree] li[data-key="r:33"]');
    await zhejiang.waitFor({ timeout: 5000 });
    expect(await zhejiang.locator('[data-field=counts]').textContent()).toBe('180/200');
    expect(await page.locator('[data-field=channel-vtree] li[data-key="r:3301"] [data-field=counts]').textContent()).toBe('180/200');
    expect(await page.locator('[data-field=channel-vtree] li[data-key="r:330106"] [data-field=counts]').textContent()).toBe('90/100');
    await shot(page, 'tree-by-region');

    await page.selectOption('[data-field=tree-grouping]', 'device');
    await page.fill('[data-field=tree-search]', target.name!);
    const hit = page.locator(`[data-field=channel-vtree] li[data-channel-id="${target.deviceId}"]`);
    await hit.waitFor({ timeout: 5000 });
    expect(await page.locator('[data-field=tree-note]').textContent()).toBe('1 match');
    // The device and the hit: nothing else.
    expect(await rowCount(page)).toBe(2);
    expect(await hit.locator('button[data-action=watch]').count()).toBe(1);
    await shot(page, 'tree-search');

    await page.fill('[data-field=tree-search]', 'no such channel');
    await page.locator('[data-field=tree-note]').filter({ hasText: 'No channel matches' }).waitFor({ timeout: 5000 });
    expect(await rowCount(page)).toBe(0);
    await page.fill('[data-field=tree-search]', '');
    await page.locator('[data-field=channel-vtree] li.tree-row').first().waitFor({ timeout: 5000 });
    expect(await rowCount(page)).toBeLessThan(MAX_ROWS_IN_DOM);
    expect(en['nav.channels']).toBe(await page.locator('a[data-nav=channels]').textContent());
    expect(pageErrors).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('a lower platform (type 200): its directories show as tagged tree nodes without Play, Records or Watch, and count no camera', async () => {
    const P = '34020000002000000009';
    const [bg, vo] = ['34020000002150000001', '34020000002160000001'];
    const item = (id: string, name: string, extra: string) => `<Item><DeviceID>${id}</DeviceID><Name>${name}</Name>${extra}</Item>`;
    lower = new FakeLowerPlatform({
      id: P, password: SIP_PASSWORD, gatewayPort: gw.sipPort, perPacket: 3,
      catalog: [
        item('340200', '合肥市', '<Parental>1</Parental>'),
        item(bg, '交通卡口', `<Parental>1</Parental><ParentID>${P}</ParentID>`),
        item(vo, '东门片区', `<Parental>1</Parental><ParentID>${bg}</ParentID><BusinessGroupID>${bg}</BusinessGroupID>`),
        item('34020000001310000901', '东门一号', `<ParentID>${vo}</ParentID><Status>ON</Status>`),
        item('34020000001310000902', '东门二号', `<ParentID>${vo}</ParentID><Status>OFF</Status>`),
        item('34020000001310000903', '南门', '<ParentID>340200</ParentID><Status>ON</Status>'),
      ],
    });
    await lower.start();
    expect(await lower.register()).toBe(200);
    await waitFor('the platform’s catalog', async () => (await gw.api<{ channelCount: number; catalogSyncedAt: string | null }>(`/api/devices/${P}`)).body.catalogSyncedAt !== null, 8_000);

    const page = await loginAs('admin', TEST_ADMIN_PASSWORD);
    await visit(page, `#/devices/${P}`, '[data-field=channel-tree] ul.root');
    for (const [id, kind] of [['340200', 'region'], [bg, 'business-group'], [vo, 'virtual-organisation']] as const) {
      const node = page.locator(`.node[data-channel-id="${id}"]`);
      expect(await node.getAttribute('data-kind')).toBe(kind);
      expect(await node.locator('[data-field=kind]').textContent()).toBe(en[`channels.kind.${kind}`]);
      expect(await node.locator('button').count()).toBe(0);
    }
    expect(await page.locator('.node[data-channel-id="34020000001310000901"] button[data-action=play]').count()).toBe(1);
    // Nested as the catalog says: the camera inside the organisation inside the group.
    const under = (id: string) => `details:has(> summary > .node[data-channel-id="${id}"]) > ul`;
    expect(await page.locator(`${under(bg)} ${under(vo)} .node[data-channel-id="34020000001310000902"]`).count()).toBe(1);
    expect(await page.locator('section.page .toolbar .muted').first().textContent()).toContain('3 channels');

    await visit(page, '#/channels', '[data-field=channel-vtree] li.tree-row');
    expect(await page.locator('[data-field=tree-summary]').textContent()).toBe('272 online / 303 channels · 4 devices');
    // The platform is the last device: a search brings its cameras and their directories into view.
    await page.fill('[data-field=tree-search]', '3402000000131000090');
    await page.locator(`[data-field=channel-vtree] li[data-channel-id="34020000001310000902"]`).waitFor({ timeout: 5000 });
    expect(await page.locator(`[data-field=channel-vtree] li[data-device-id="${P}"] [data-field=counts]`).textContent()).toBe('2/3');
    expect(await page.locator(`[data-field=channel-vtree] li[data-key="c:${P}:${vo}"] [data-field=counts]`).textContent()).toBe('1/2');
    expect(await page.locator('[data-field=channel-vtree] li[data-kind=group]').count()).toBe(3);
    expect(await page.locator('[data-field=channel-vtree] li[data-kind=group] button:not(.expander)').count()).toBe(0);
    expect(await page.locator('[data-field=channel-vtree] li[data-kind=channel] button[data-action=play]').count()).toBe(3);
    await shot(page, 'tree-lower-platform');
    expect(pageErrors).toEqual([]);
    await page.context().close();
  }, 60_000);
});
