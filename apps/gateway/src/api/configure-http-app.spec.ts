import { afterEach, describe, expect, it } from 'vitest';
import { startApiTestApp, type ApiTestApp } from './testing/api-test-app';

const ID = '34020000001320000001';

describe('configureHttpApp()', () => {
  let t: ApiTestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  for (const bodyParser of [true, false]) {
    it(`with NestFactory bodyParser ${bodyParser}, JSON bodies parse and the 64 KiB limit (not Nest's 100 KiB) applies`, async () => {
      t = await startApiTestApp({ bodyParser });
      t.devices.addDevice(ID);
      const send = (name: string) =>
        fetch(`${t!.baseUrl}/api/devices/${ID}`, {
          method: 'PATCH',
          headers: { authorization: `Bearer ${t!.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name }),
        });
      const ok = await send('Lobby');
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { name: string }).name).toBe('Lobby');
      const big = await send('x'.repeat(80 * 1024));
      expect(big.status).toBe(413);
    });
  }

  it('routes live under the global prefix /api only', async () => {
    t = await startApiTestApp();
    expect((await fetch(`${t.baseUrl}/health`)).status).toBe(404);
    expect((await fetch(`${t.baseUrl}/api/health`)).status).toBe(200);
  });
});
