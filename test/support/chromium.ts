import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'];

export interface TestBrowser {
  context: BrowserContext;
  /** Idempotent: closes the browser and removes its profile. */
  close(): Promise<void>;
}

/** Real Chromium (Debian package) with a fresh profile; fails with what to install when it is missing. */
/** `args`: more Chromium switches (e.g. the fake microphone: --use-fake-device-for-media-stream --use-fake-ui-for-media-stream). */
export async function launchChromium(opts: { args?: readonly string[] } = {}): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`this test needs Chromium at ${CHROMIUM_PATH}: install Debian package chromium (apt-get install -y chromium) or set CHROMIUM_PATH`);
  const profile = mkdtempSync(join(tmpdir(), 'gbchromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS, ...(opts.args ?? [])], timeout: 30_000 });
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  let closed: Promise<void> | undefined;
  return {
    context,
    close: () =>
      (closed ??= (async () => {
        await context.close().catch(() => undefined);
        rmSync(profile, { recursive: true, force: true });
      })()),
  };
}

/** What this Chromium's MSE can decode (isTypeSupported), for the H.264/H.265 decision. */
export interface MseSupport {
  h264: boolean;
  h265: boolean;
  aac: boolean;
  userAgent: string;
}

export async function mseSupport(context: BrowserContext): Promise<MseSupport> {
  const page = await context.newPage();
  try {
    await page.setContent('<!doctype html><title>mse</title>');
    // A string, evaluated in the page (this file compiles without the DOM lib).
    return (await page.evaluate(`({
      h264: MediaSource.isTypeSupported('video/mp4; codecs="avc1.42E01E"'),
      h265: MediaSource.isTypeSupported('video/mp4; codecs="hvc1.1.6.L93.B0"') || MediaSource.isTypeSupported('video/mp4; codecs="hev1.1.6.L93.B0"'),
      aac: MediaSource.isTypeSupported('audio/mp4; codecs="mp4a.40.2"'),
      userAgent: navigator.userAgent,
    })`)) as MseSupport;
  } finally {
    await page.close();
  }
}

/** `npm run build:web` without the type check: vite build of web/ into dist/web (what the gateway serves at /). */
export function buildDashboard(): Promise<void> {
  const root = resolve(__dirname, '../..');
  return new Promise((ok, fail) => {
    const p = spawn(process.execPath, [resolve(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.mts'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b));
    p.stderr.on('data', (b: Buffer) => (out += b));
    p.on('error', fail);
    p.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`vite build failed (${code}): ${out.slice(-2000)}`))));
  });
}

/**
 * A new context (en-US, 1440×900) signed in to the dashboard at `baseUrl` as `username`: page errors go to
 * `pageErrors`, confirm() dialogs (deletes, revokes) are accepted; resolves on the devices page with the user shown.
 */
export async function dashboardLogin(browser: Browser, baseUrl: string, username: string, password: string, pageErrors: string[]): Promise<Page> {
  const ctx = await browser.newContext({ locale: 'en-US', viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('dialog', (d) => void d.accept());
  await page.goto(`${baseUrl}/`);
  await page.locator('form.login').waitFor({ timeout: 10_000 });
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForURL(/#\/devices$/);
  await page.locator('header [data-field=user]').filter({ hasText: username }).waitFor({ timeout: 10_000 });
  return page;
}
