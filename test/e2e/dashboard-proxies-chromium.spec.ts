import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyDto } from '@gb/contracts';
import { en } from '../../web/src/locales/en';
import { buildDashboard, CHROMIUM_ARGS, CHROMIUM_PATH, dashboardLogin } from '../support/chromium';
import { startTestGateway, TEST_ADMIN_PASSWORD, waitFor, type TestGateway } from '../support/gateway-harness';
import { requireTool, rtpRangeEnv } from '../support/media-probe';
import { freePort } from '../support/sipp';

/**
 * Issue 12 item 1 (UI): the stream proxies page #/proxies in real Chromium against a real gateway. A pull whose
 * source refuses shows failed with the cause in words; the admin adds a push proxy in the form and reads its publish
 * URL in the row; a real RTMP publisher (ffmpeg) to that URL turns the row live and its Play button opens the player
 * page, which plays; an operator sees the list without the publish URL or controls.
 */

const OPERATOR = { username: 'pia', password: 'pia-password-1', role: 'operator' };
let gw: TestGateway;
let browser: Browser;
let dir: string;
let encoder: ChildProcess | undefined;
const pageErrors: string[] = [];

const loginAs = (username: string, password: string): Promise<Page> => dashboardLogin(browser, gw.httpUrl, username, password, pageErrors);

const rowOf = (page: Page, id: string, state?: string) => page.locator(`tr[data-proxy-id="${id}"]${state ? `[data-state=${state}]` : ''}`);

beforeAll(async () => {
  requireTool('ffmpeg');
  dir = mkdtempSync(join(tmpdir(), 'gbpushui-'));
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-t', '4', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '25', '-pix_fmt', 'yuv420p', '-f', 'flv', join(dir, 'clip.flv')]);
  const rtmpPort = await freePort();
  [gw] = await Promise.all([startTestGateway({ ...rtpRangeEnv(), RTMP_PORT: String(rtmpPort), RTMP_HOST: '127.0.0.1', VISION_EMBEDDED: 'false' }), buildDashboard()]);
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
}, 90_000);

afterAll(async () => {
  encoder?.kill('SIGKILL');
  await browser?.close().catch(() => undefined);
  await gw?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the stream proxies page (#/proxies)', () => {
  it('lists a failing pull with its cause in words; the admin adds a push proxy, reads its publish URL, and once an encoder publishes the row is live and Play opens a player that plays; the devices page lists "Stream proxies" without device controls and the wall picker offers its channel; an operator sees neither the URL nor the controls', async () => {
    // A pull whose source refuses: one play makes it fail with CONNECTION_REFUSED.
    const closedPort = await freePort();
    const pull = (await gw.api<ProxyDto>('/api/proxies', { method: 'POST', body: JSON.stringify({ name: 'gate cam', url: `rtsp://127.0.0.1:${closedPort}/live` }) })).body;
    await gw.api(`/api/devices/${pull.deviceId}/channels/${pull.channelId}/play`, { method: 'POST', body: '{}' });

    const admin = await loginAs('admin', TEST_ADMIN_PASSWORD);
    await admin.click('header a[data-nav=proxies]');
    await rowOf(admin, pull.id, 'failed').waitFor({ timeout: 10_000 });
    const cause = rowOf(admin, pull.id).locator('[data-field=cause]');
    expect(await cause.getAttribute('data-code')).toBe('CONNECTION_REFUSED');
    expect(await cause.textContent()).toContain(en['proxies.cause.CONNECTION_REFUSED']);
    expect(await rowOf(admin, pull.id).locator('[data-field=mode]').textContent()).toBe(en['proxyMode.on-demand']);

    // The admin adds a push proxy: the form hides the URL fields for push.
    await admin.click('button[data-action=add-proxy]');
    const dialog = admin.locator('dialog[open]');
    await dialog.locator('[name=name]').fill('drone 1');
    await dialog.locator('[name=mode]').selectOption('push');
    expect(await dialog.locator('[data-field=pull-fields]').isHidden()).toBe(true);
    await dialog.locator('button[data-action=save]').click();
    await dialog.waitFor({ state: 'hidden', timeout: 5000 });
    const push = (await gw.api<ProxyDto[]>('/api/proxies')).body.find((p) => p.name === 'drone 1')!;
    expect(push.mode).toBe('push');
    const url = await rowOf(admin, push.id).locator('[data-field=publish-url]').inputValue();
    expect(url).toBe(push.publishUrl);
    expect(url).toMatch(/^rtmp:\/\/127\.0\.0\.1:\d+\/live\/\d{20}\?key=[0-9a-f]{32}$/);

    encoder = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', join(dir, 'clip.flv'), '-c', 'copy', '-f', 'flv', url], { stdio: 'ignore' });
    await rowOf(admin, push.id, 'live').waitFor({ timeout: 15_000 });
    const [player] = await Promise.all([admin.context().waitForEvent('page'), rowOf(admin, push.id).locator('button[data-action=play]').click()]);
    await player.waitForURL(/\/play/, { timeout: 10_000 });
    await player.waitForFunction(`document.getElementById('v').currentTime > 1`, undefined, { timeout: 15_000, polling: 200 });
    await player.close();

    // The devices page lists the virtual device by its name in the chosen language, without device controls.
    await admin.click('header a[data-nav=devices]');
    const dev = admin.locator(`tr[data-device-id="${push.deviceId}"]`);
    await dev.waitFor({ timeout: 10_000 });
    expect(await dev.locator('td').nth(2).textContent()).toBe(en['proxies.deviceName']);
    expect(await dev.getAttribute('data-online')).toBe('true');
    expect(await dev.locator('button').count()).toBe(0);

    // The wall's channel picker offers the proxy's channel under the virtual device.
    await admin.click('header a[data-nav=wall]');
    await admin.locator(`li.wall-pick[data-channel-id="${push.channelId}"][data-device-id="${push.deviceId}"]`).filter({ hasText: 'drone 1' }).waitFor({ timeout: 10_000 });

    // An operator: the list with state, no publish URL (the API leaves it out), no add/edit/delete/new key.
    await gw.api('/api/users', { method: 'POST', body: JSON.stringify(OPERATOR) });
    const op = await loginAs(OPERATOR.username, OPERATOR.password);
    await op.click('header a[data-nav=proxies]');
    await rowOf(op, push.id, 'live').waitFor({ timeout: 10_000 });
    expect(await rowOf(op, push.id).locator('[data-field=source]').textContent()).toBe(en['proxies.pushSource']);
    expect(await op.locator('[data-field=publish-url], [data-action=add-proxy], [data-action=edit], [data-action=delete], [data-action=rotate-key]').count()).toBe(0);
    expect(await op.locator('[data-field=read-only]').textContent()).toBe(en['proxies.readOnly']);
    await waitFor('no page errors', () => pageErrors.length === 0 || undefined, 100).catch(() => undefined);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
