import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaTokens } from '../../apps/gateway/src/streams/media-tokens';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';

/** The response headers of the whole gateway (bootstrap.ts -> configureHttpApp), route by route. */
describe('gateway HTTP responses', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const routes: [string, () => string][] = [
    ['the API (GET /api/health)', () => '/api/health'],
    ['the dashboard page (GET /)', () => '/'],
    ['the player page (GET /play/:streamId with its media token)', () => {
      const streamId = '34020000001320000001_34020000001310000001';
      return `/play/${streamId}?token=${encodeURIComponent(gw.app.get(MediaTokens).sign(streamId))}`;
    }],
  ];

  for (const [what, path] of routes) {
    it(`${what} answers 200 with nosniff, no framing, no referrer and no X-Powered-By`, async () => {
      const res = await fetch(`${gw.httpUrl}${path()}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-powered-by')).toBeNull();
    });
  }

  it('GET /api/docs-json needs the bearer token by default (API_DOCS=auth)', async () => {
    expect((await fetch(`${gw.httpUrl}/api/docs-json`)).status).toBe(401);
    expect((await fetch(`${gw.httpUrl}/api/docs-json`, { headers: await gw.auth() })).status).toBe(200);
  });
});
