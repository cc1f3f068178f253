import { describe, it, expect, afterEach } from 'vitest';
import { FakePlatform, SERVER_ID } from '../test/fake-platform';
import { runCli } from './cli';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function io(interrupt?: Promise<void>) {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), interrupted: interrupt ?? new Promise<void>(() => undefined) } };
}

describe('runCli()', () => {
  it('--help prints the options and exits 0; a bad option exits 2 naming it', async () => {
    const a = io();
    expect(await runCli(['--help'], a.io)).toBe(0);
    expect(a.out.join('\n')).toContain('--catalog-per-message');
    const b = io();
    expect(await runCli(['--transport', 'x'], b.io)).toBe(2);
    expect(b.err.join('\n')).toContain('--transport must be udp or tcp');
  });

  it('with --duration registers the devices, prints a line per registration and a summary, and unregisters with --unregister-on-exit', async () => {
    const platform = new FakePlatform('udp');
    await platform.listen();
    cleanups.push(() => platform.close());
    const a = io();
    const code = await runCli(
      ['--server', `127.0.0.1:${platform.port}`, '--server-id', SERVER_ID, '--count', '2', '--rate', '0', '--duration', '0.4', '--unregister-on-exit'],
      a.io,
    );
    expect(code).toBe(0);
    const text = a.out.join('\n');
    expect(text).toMatch(/34020000001320000001 registered \(UDP :\d+, expires 3600s/);
    expect(text).toMatch(/34020000001320000002 registered/);
    expect(text).toContain('summary: 2/2 registered, 0 online');
    expect(platform.requests('REGISTER').filter((r) => r.headers.get('Expires') === '0')).toHaveLength(2);
  });

  it('on interrupt unregisters even without --unregister-on-exit; no registration means exit code 1', async () => {
    const platform = new FakePlatform('udp');
    await platform.listen();
    cleanups.push(() => platform.close());
    let interrupt!: () => void;
    const a = io(new Promise<void>((r) => (interrupt = r)));
    const run = runCli(['--server', `127.0.0.1:${platform.port}`, '--rate', '0'], a.io);
    await platform.until('registration', () => platform.requests('REGISTER').length >= 2);
    await new Promise((r) => setTimeout(r, 50));
    interrupt();
    expect(await run).toBe(0);
    expect(platform.requests('REGISTER').at(-1)!.headers.get('Expires')).toBe('0');

    const b = io();
    expect(await runCli(['--server', `127.0.0.1:${platform.port}`, '--password', 'bad', '--duration', '0.3', '--quiet'], b.io)).toBe(1);
    expect(b.out.join('\n')).toContain('0/1 registered');
    expect(b.out.join('\n')).toContain('1 forbidden');
    expect(b.out.join('\n')).not.toMatch(/ 403 /); // --quiet: no per-device line (not the summary; a port such as 40318 is not one)
  });
});
