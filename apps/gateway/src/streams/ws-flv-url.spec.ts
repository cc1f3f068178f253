import { describe, expect, it } from 'vitest';
import { withWsFlvOrigin } from './ws-flv-url';

const dto = (wsFlv: string) => ({ urls: { wsFlv, flv: '/flv/a.flv?token=t' } });

describe('withWsFlvOrigin()', () => {
  it('completes a path (no PUBLIC_URL) with the host the request came to: ws:// over http, wss:// over https', () => {
    expect(withWsFlvOrigin(dto('/flv/a.flv?token=t'), { protocol: 'http', headers: { host: '10.0.0.5:8080' } }).urls.wsFlv).toBe('ws://10.0.0.5:8080/flv/a.flv?token=t');
    expect(withWsFlvOrigin(dto('/flv/a.flv?token=t'), { protocol: 'https', headers: { host: 'gw.example' } }).urls.wsFlv).toBe('wss://gw.example/flv/a.flv?token=t');
    expect(withWsFlvOrigin(dto('/flv/a.flv'), { protocol: 'http', headers: { host: '[::1]:80' } }).urls.wsFlv).toBe('ws://[::1]:80/flv/a.flv');
  });

  it('leaves a whole URL (PUBLIC_URL) alone, and a path when the Host header is missing or not a host', () => {
    expect(withWsFlvOrigin(dto('wss://pub.example/flv/a.flv'), { protocol: 'http', headers: { host: 'x' } }).urls.wsFlv).toBe('wss://pub.example/flv/a.flv');
    expect(withWsFlvOrigin(dto('/flv/a.flv'), { protocol: 'http', headers: {} }).urls.wsFlv).toBe('/flv/a.flv');
    expect(withWsFlvOrigin(dto('/flv/a.flv'), { protocol: 'http', headers: { host: 'evil.example/x?' } }).urls.wsFlv).toBe('/flv/a.flv');
  });
});
