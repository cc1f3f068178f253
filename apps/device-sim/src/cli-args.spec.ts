import { describe, it, expect } from 'vitest';
import { CliUsageError, HELP, parseCliArgs } from './cli-args';

describe('parseCliArgs()', () => {
  it('with no arguments yields the documented defaults', () => {
    const o = parseCliArgs([]);
    expect(o.fleet).toMatchObject({
      serverHost: '127.0.0.1', serverPort: 5060, serverId: '34020000002000000001', domain: '3402000000', password: '12345678',
      transport: 'udp', count: 1, firstDeviceId: '34020000001320000001', channelsPerDevice: 4, keepaliveSeconds: 60,
      expires: 3600, charset: 'GB2312', catalogPerMessage: 2, localHost: '127.0.0.1', ratePerSecond: 50,
    });
    expect(o.fleet.fallbackServers).toBeUndefined();
    expect(o.fleet.serverTimeoutMs).toBeUndefined();
    expect(o.durationSeconds).toBeUndefined();
    expect(o.unregisterOnExit).toBe(false);
    expect(o.help).toBe(false);
  });

  it('reads every option, deriving the domain from --server-id when not given', () => {
    const o = parseCliArgs([
      '--server', '10.0.0.5:15060', '--server-id', '11010000002000000001', '--password', 'pw', '--transport', 'TCP', '--count', '30',
      '--first-id', '11010000001180000001', '--channels', '16', '--keepalive', '20', '--expires', '600', '--charset', 'utf8',
      '--catalog-per-message', '5', '--local-host', '10.0.0.9', '--rate', '12.5', '--duration', '90', '--unregister-on-exit', '--quiet',
    ]);
    expect(o.fleet).toMatchObject({
      serverHost: '10.0.0.5', serverPort: 15060, serverId: '11010000002000000001', domain: '1101000000', password: 'pw', transport: 'tcp',
      count: 30, firstDeviceId: '11010000001180000001', channelsPerDevice: 16, keepaliveSeconds: 20, expires: 600, charset: 'UTF-8',
      catalogPerMessage: 5, localHost: '10.0.0.9', ratePerSecond: 12.5,
    });
    expect(o).toMatchObject({ durationSeconds: 90, unregisterOnExit: true, quiet: true });
  });

  it('--fallback-server may be repeated and keeps its order; --server-timeout bounds REGISTER and keepalive waits', () => {
    const o = parseCliArgs(['--server', '10.0.0.1:5060', '--fallback-server', '10.0.0.2:5060', '--fallback-server', '[::1]:5070', '--server-timeout', '2000']);
    expect(o.fleet).toMatchObject({
      serverHost: '10.0.0.1', serverPort: 5060, serverTimeoutMs: 2000,
      fallbackServers: [{ host: '10.0.0.2', port: 5060 }, { host: '::1', port: 5070 }],
    });
  });

  it('the help text documents --fallback-server and --server-timeout', () => {
    expect(HELP).toMatch(/--fallback-server host:port[\s\S]*repeat/);
    expect(HELP).toContain('--server-timeout MS');
  });

  it.each([
    [['--fallback-server', 'nohost'], /--fallback-server must be host:port/],
    [['--fallback-server', '1.2.3.4:0'], /--fallback-server must be host:port/],
    [['--server-timeout', '0'], /--server-timeout/],
    [['--server', 'nohost'], /--server/],
    [['--server', 'h:70000'], /--server/],
    [['--transport', 'sctp'], /--transport/],
    [['--count', '0'], /--count/],
    [['--count', '2', '--first-id', '34020000001320999999'], /overflows/],
    [['--charset', 'latin1'], /--charset/],
    [['--server-id', '123'], /--server-id/],
    [['--duration', '-1'], /--duration/],
    [['--bogus'], /bogus/],
  ])('rejects %j with a CliUsageError naming the option', (argv, re) => {
    expect(() => parseCliArgs(argv)).toThrow(CliUsageError);
    expect(() => parseCliArgs(argv)).toThrow(re);
  });
});

describe('parseCliArgs() media options', () => {
  it('without media options answers no INVITE; any media option implies --media and lands in mediaOptions', () => {
    expect(parseCliArgs([])).toMatchObject({ media: false, mediaOptions: {} });
    expect(parseCliArgs(['--media'])).toMatchObject({ media: true, mediaOptions: {} });
    expect(
      parseCliArgs(['--codec', 'h265', '--audio', 'g711a', '--media-file', 'a.mp4', '--size', '320x180', '--fps', '15', '--loss', '0.05', '--reorder', '.05', '--seed', '9', '--wrong-ssrc', '--no-rtp']),
    ).toMatchObject({
      media: true,
      mediaOptions: { codec: 'h265', audio: 'g711a', file: 'a.mp4', width: 320, height: 180, fps: 15, loss: 0.05, reorder: 0.05, seed: 9, wrongSsrc: true, noRtp: true },
    });
  });

  it('--audio takes g711a, g711u or aac; --audio-delay S starts it S seconds after the video', () => {
    expect(parseCliArgs(['--audio', 'g711u', '--audio-delay', '3']).mediaOptions).toEqual({ audio: 'g711u', audioDelayS: 3 });
    expect(parseCliArgs(['--audio', 'aac'])).toMatchObject({ media: true, mediaOptions: { audio: 'aac' } });
    expect(parseCliArgs(['--audio', 'aac', '--audio-undeclared']).mediaOptions).toEqual({ audio: 'aac', audioUndeclared: true });
  });

  it('--start-pts takes 90 kHz ticks, or wrap-S: S seconds before the 33-bit PTS wrap (a camera clock about to wrap)', () => {
    expect(parseCliArgs(['--start-pts', '900000']).mediaOptions).toEqual({ startPts90k: 900_000 });
    expect(parseCliArgs(['--start-pts', 'wrap-5'])).toMatchObject({ media: true, mediaOptions: { startPts90k: 2 ** 33 - 450_000 } });
  });

  it('--positions S makes a moving device (MobilePosition every S s); --control-result sets how AlarmCmd/GuardCmd are answered', () => {
    expect(parseCliArgs(['--positions', '5', '--control-result', 'ERROR']).fleet).toMatchObject({ positionIntervalS: 5, controlResult: 'ERROR' });
    expect(parseCliArgs([]).fleet).not.toHaveProperty('positionIntervalS');
    expect(() => parseCliArgs(['--positions', '0'])).toThrow(/--positions must be an integer in 1..3600/);
    expect(() => parseCliArgs(['--control-result', 'maybe'])).toThrow(/--control-result must be OK, ERROR or none/);
  });

  it.each([
    [['--codec', 'vp8'], /--codec must be h264 or h265/],
    [['--audio', 'opus'], /--audio must be g711a, g711u or aac/],
    [['--audio-delay', 'soon'], /--audio-delay must be an integer/],
    [['--loss', '1.5'], /--loss must be a fraction/],
    [['--reorder=-0.1'], /--reorder must be a fraction/],
    [['--size', '641x360'], /--size must be WxH/],
    [['--start-pts', '8589934592'], /--start-pts must be 90 kHz ticks/],
    [['--start-pts', 'wrap-x'], /--start-pts must be 90 kHz ticks/],
  ])('rejects media option %j naming it', (argv, re) => {
    expect(() => parseCliArgs(argv)).toThrow(re);
  });
});
