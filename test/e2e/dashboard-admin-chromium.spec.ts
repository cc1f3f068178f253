import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { en } from '../../web/src/locales/en';
import { buildDashboard, CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/chromium';
import { startTestGateway, TEST_ADMIN_PASSWORD, waitFor, type TestGateway } from '../support/gateway-harness';
import { e2eGatewayEnv } from './e2e-fixture';

/**
 * Issue #10 item 7 (UI): the admin page #/admin (users, API keys, audit log) in real Chromium against a real gateway.
 * An admin creates an operator and an API key in the page (the key works until revoked there), sees the creation in
 * the audit log and the last admin's 409 as a plain error; the operator sees no admin link and an "admins only"
 * note. Screenshot at 1440×900 under test-artifacts/screenshots/ (gitignored).
 */

const SHOTS = process.env.DASHBOARD_I18N_SCREENSHOT_DIR ?? resolve(__dirname, '../../test-artifacts/screenshots');
const OPERATOR = { username: 'otto', password: 'otto-password-1', role: 'operator' };
const KEY_NAME = 'vms bridge';

let gw: TestGateway;
let browser: Browser;
let admin: Page;
let apiKey = '';
const pageErrors: string[] = [];

async function loginAs(username: string, password: string): Promise<Page> {
  const ctx = await browser.newContext({ locale: 'en-US', viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // confirm() for deletes and revokes: accepted.
  page.on('dialog', (d) => void d.accept());
  await page.goto(`${gw.httpUrl}/`);
  await page.locator('form.login').waitFor({ timeout: 10_000 });
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForURL(/#\/devices$/);
  await page.locator('header [data-field=user]').filter({ hasText: username }).waitFor({ timeout: 10_000 });
  return page;
}

/** GET /api/devices with the API key as bearer: its HTTP status. */
const devicesWithKey = async () => (await fetch(`${gw.httpUrl}/api/devices`, { headers: { authorization: `Bearer ${apiKey}` } })).status;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  [gw] = await Promise.all([startTestGateway(e2eGatewayEnv({ KEEPALIVE_INTERVAL_S: '60', VISION_EMBEDDED: 'false' })), buildDashboard()]);
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
  admin = await loginAs('admin', TEST_ADMIN_PASSWORD);
}, 90_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await gw?.stop();
});

describe('the admin page: users, API keys and the audit log', () => {
  it('an admin sees the Admin link and creates an operator in the page; GET /api/users lists it', async () => {
    expect(await admin.locator('header a[data-nav=admin]').isVisible()).toBe(true);
    await admin.click('header a[data-nav=admin]');
    await admin.locator('table.users tr[data-username=admin]').waitFor({ timeout: 10_000 });
    const form = admin.locator('form[data-field=create-user]');
    await form.locator('input[name=username]').fill(OPERATOR.username);
    await form.locator('input[name=password]').fill(OPERATOR.password);
    await form.locator('select[name=role]').selectOption(OPERATOR.role);
    await form.locator('button[type=submit]').click();
    await admin.locator(`table.users tr[data-username=${OPERATOR.username}]`).waitFor({ timeout: 5000 });
    expect(await admin.locator(`table.users tr[data-username=${OPERATOR.username}] select`).inputValue()).toBe('operator');
    const users = await gw.api<Array<{ username: string; role: string }>>('/api/users');
    expect(users.body.map((u) => [u.username, u.role])).toContainEqual([OPERATOR.username, OPERATOR.role]);
  });

  it('the last admin cannot be deleted: the gateway’s 409 shows as a plain error and the row stays', async () => {
    await admin.click('table.users tr[data-username=admin] button[data-action=delete-user]');
    await admin.locator('[data-field=users-error]').filter({ hasText: /last admin/i }).waitFor({ timeout: 5000 });
    expect(await admin.locator('table.users tr[data-username=admin]').count()).toBe(1);
  });

  it('an API key created in the page is shown once with a warning, works for GET /api/devices (200), and gets 401 once revoked in the page', async () => {
    const form = admin.locator('form[data-field=create-key]');
    await form.locator('input[name=key-name]').fill(KEY_NAME);
    await form.locator('select[name=key-role]').selectOption('viewer');
    await form.locator('button[type=submit]').click();
    const field = admin.locator('[data-field=new-key]');
    await field.waitFor({ timeout: 5000 });
    apiKey = await field.inputValue();
    expect(apiKey).toMatch(/^gbk_[A-Za-z0-9_-]{43}$/);
    expect(await admin.locator('.key-once').textContent()).toContain(en['admin.keyOnceWarning']);
    await admin.locator(`table.api-keys tr[data-key-name="${KEY_NAME}"]`).waitFor({ timeout: 5000 });
    expect(await admin.locator(`table.api-keys tr[data-key-name="${KEY_NAME}"]`).textContent()).toContain(apiKey.slice(0, 8));
    expect(await devicesWithKey()).toBe(200);

    await admin.locator('button[data-action=refresh-audit]').click();
    await admin.waitForLoadState('networkidle').catch(() => undefined);
    await admin.screenshot({ path: `${SHOTS}/dashboard-admin.png` });

    await admin.click(`table.api-keys tr[data-key-name="${KEY_NAME}"] button[data-action=revoke-key]`);
    await admin.locator(`table.api-keys tr[data-key-name="${KEY_NAME}"]`).waitFor({ state: 'detached', timeout: 5000 });
    await waitFor('the revoked key refused', async () => (await devicesWithKey()) === 401, 6000);
  });

  it('the audit log shows the user creation with the admin as actor, newest first', async () => {
    const row = admin.locator(`table.audit tr[data-action="user.create"][data-actor=admin]`);
    await waitFor(
      'user.create in the audit view',
      async () => {
        await admin.locator('button[data-action=refresh-audit]').click();
        await admin.waitForLoadState('networkidle').catch(() => undefined);
        return (await row.count()) > 0;
      },
      8000,
      300,
    );
    expect(await row.first().textContent()).toContain(OPERATOR.username);
    expect(await row.first().getAttribute('data-outcome')).toBe('ok');
    const actions = await admin.locator('table.audit tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-action')));
    expect(actions.indexOf('api-key.revoke')).toBeLessThan(actions.indexOf('user.create'));
  });

  it('the operator sees no Admin link, and #/admin says it is for admins only', async () => {
    const page = await loginAs(OPERATOR.username, OPERATOR.password);
    expect(await page.locator('header a[data-nav=admin]').isHidden()).toBe(true);
    await page.goto(`${gw.httpUrl}/#/admin`);
    const note = page.locator('[data-field=admins-only]');
    await note.waitFor({ timeout: 10_000 });
    expect(await note.textContent()).toBe(en['admin.adminsOnly']);
    expect(await page.locator('table.users, table.api-keys, table.audit').count()).toBe(0);
    await page.context().close();
    expect(pageErrors).toEqual([]);
  });
});
