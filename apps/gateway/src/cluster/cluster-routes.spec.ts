import { describe, expect, it } from 'vitest';
import { clusterTargetOf } from './cluster-routes';

const DEV = '34020000001320000001';
const CH = '34020000001310000101';

describe('clusterTargetOf: which requests go to the owner of a device', () => {
  it.each([
    ['POST', `/api/devices/${DEV}/channels/${CH}/play`, { kind: 'device', deviceId: DEV }],
    ['POST', `/api/devices/${DEV}/channels/${CH}/playback`, { kind: 'device', deviceId: DEV }],
    ['POST', `/api/devices/${DEV}/channels/${CH}/ptz`, { kind: 'device', deviceId: DEV }],
    ['GET', `/api/devices/${DEV}/channels/${CH}/records?start=1&end=2`, { kind: 'device', deviceId: DEV }],
    ['GET', `/api/devices/${DEV}/channels/${CH}/snapshot`, { kind: 'device', deviceId: DEV }],
    ['POST', `/api/devices/${DEV}/channels/${CH}/downloads`, { kind: 'device', deviceId: DEV }],
    ['POST', `/api/devices/${DEV}/catalog`, { kind: 'device', deviceId: DEV }],
    ['GET', `/api/devices/${DEV}/channels/${CH}/presets`, { kind: 'device', deviceId: DEV }],
    ['POST', `/api/devices/${DEV}/control`, { kind: 'device', deviceId: DEV }],
    ['POST', `/api/devices/${DEV}/reboot`, { kind: 'device', deviceId: DEV }],
    ['GET', `/api/devices/${DEV}/config`, { kind: 'device', deviceId: DEV }],
    ['PUT', `/api/devices/${DEV}/config`, { kind: 'device', deviceId: DEV }],
    ['DELETE', `/api/streams/${DEV}_${CH}_sub`, { kind: 'device', deviceId: DEV }],
    ['GET', `/api/devices/${DEV}/status`, { kind: 'device', deviceId: DEV }],
    ['PATCH', `/api/devices/${DEV}`, { kind: 'device', deviceId: DEV }],
    ['DELETE', `/api/devices/${DEV}`, { kind: 'device', deviceId: DEV }],
    ['DELETE', `/api/streams/${DEV}_${CH}`, { kind: 'device', deviceId: DEV }],
    ['POST', `/api/streams/${DEV}_${CH}_p1a/control`, { kind: 'device', deviceId: DEV }],
    ['POST', `/api/channels/${CH}/watch`, { kind: 'channel', channelId: CH }],
    ['PUT', `/api/channels/${CH}/rois`, { kind: 'channel', channelId: CH }],
    ['GET', `/api/channels/${CH}/record-plan`, { kind: 'channel', channelId: CH }],
    ['GET', `/api/channels/${CH}/recordings?from=1&to=2`, { kind: 'channel', channelId: CH }],
    ['GET', '/api/alerts/5b1e/snapshot', { kind: 'alert', alertId: '5b1e' }],
    ['GET', '/api/downloads/ab12/file', { kind: 'download', downloadId: 'ab12' }],
    ['GET', '/api/streams', { kind: 'gather' }],
    ['GET', '/api/congestion?x=1', { kind: 'gather' }],
  ])('%s %s', (method, url, target) => {
    expect(clusterTargetOf(method, url)).toEqual(target);
  });

  it.each([
    ['GET', '/api/devices'],
    ['GET', `/api/devices/${DEV}`],
    ['GET', `/api/devices/${DEV}/channels`],
    ['GET', '/api/alerts'],
    ['POST', '/api/alerts/5b1e/ack'],
    ['GET', `/api/channels/${CH}/rois`],
    ['GET', `/api/channels/${CH}/recordings/download?from=1&to=2`],
    ['GET', `/rec/${CH}/index.m3u8`],
    ['GET', '/api/nodes'],
    ['POST', '/api/auth/login'],
    ['GET', `/live/${DEV}_${CH}/index.m3u8`],
    ['POST', '/api/streams'],
  ])('answered by any node: %s %s', (method, url) => {
    expect(clusterTargetOf(method, url)).toBeNull();
  });

  it('hostile paths: a malformed escape is left to the router, extra segments do not match, a long path is handled', () => {
    expect(clusterTargetOf('POST', '/api/devices/%E0%A4%A/catalog')).toBeNull();
    expect(clusterTargetOf('POST', `/api/devices/${DEV}/channels/${CH}/play/extra`)).toBeNull();
    expect(clusterTargetOf('POST', `/api/devices/${'9'.repeat(100_000)}/catalog`)).toEqual({ kind: 'device', deviceId: '9'.repeat(100_000) });
    expect(clusterTargetOf('GET', '')).toBeNull();
    expect(clusterTargetOf('POST', '/api/devices//catalog')).toBeNull();
  });
});
