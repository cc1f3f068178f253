import { describe, expect, it } from 'vitest';
import { causeFromFfmpeg, MAX_CAUSE_CHARS } from './ffmpeg-cause';
import { INGEST_BACKOFF_MAX_MS, INGEST_BACKOFF_MIN_MS, IngestBackoff } from './ingest-backoff';
import { MAX_PROXY_SERIAL, proxyChannelId, proxyDeviceId, proxySerialOf } from './proxy-ids';
import { ArrivalAudioClock, ingestArgs, MAX_PROXY_AUDIO_LEAD_90K, redactUrl, withCredentials } from './proxy-ingest';
import { createProxySchema, MAX_PROXY_URL_CHARS, updateProxySchema } from './proxies.dto';
import { PushIngest, type PushPublisher } from './push-ingest';
import type { IngestAudio, IngestUnit } from './proxy-ingest';
import type { FlvVideoUnit } from '@gb/gb28181';

const SIP_ID = '34020000002000000001';

describe('virtual IDs of stream proxies', () => {
  it('device <domain>1189000000, channel <domain>1319<serial:6>, both 20 digits; the serial reads back', () => {
    expect(proxyDeviceId(SIP_ID)).toBe('34020000001189000000');
    expect(proxyChannelId(SIP_ID, 1)).toBe('34020000001319000001');
    expect(proxyChannelId(SIP_ID, MAX_PROXY_SERIAL)).toBe('34020000001319999999');
    for (const n of [1, 42, MAX_PROXY_SERIAL]) expect(proxySerialOf(SIP_ID, proxyChannelId(SIP_ID, n))).toBe(n);
  });

  it('refuses serials out of range and reads no serial from other IDs', () => {
    for (const n of [0, -1, 1.5, MAX_PROXY_SERIAL + 1, Number.NaN]) expect(() => proxyChannelId(SIP_ID, n)).toThrow(RangeError);
    for (const id of ['34020000001319000000', '34020000001320000001', '44020000001319000001', '3402000000131900001', '340200000013190000011', '3402000000131900000x', '']) {
      expect(proxySerialOf(SIP_ID, id)).toBeNull();
    }
  });
});

describe('IngestBackoff', () => {
  it('1 s doubling to 30 s, then 30 s; reset() starts again at 1 s', () => {
    const b = new IngestBackoff();
    const waits = Array.from({ length: 8 }, () => b.next());
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(waits[0]).toBe(INGEST_BACKOFF_MIN_MS);
    expect(Math.max(...waits)).toBe(INGEST_BACKOFF_MAX_MS);
    expect(b.failures).toBe(8);
    b.reset();
    expect(b.next()).toBe(1000);
  });

  it('stays bounded after very many failures (no overflow to Infinity or NaN)', () => {
    const b = new IngestBackoff();
    for (let i = 0; i < 10_000; i++) b.next();
    expect(b.next()).toBe(INGEST_BACKOFF_MAX_MS);
  });
});

describe('causeFromFfmpeg: ffmpeg stderr -> cause', () => {
  const exit1 = { code: 1, signal: null };
  it.each([
    ['[rtsp @ 0x5] method DESCRIBE failed: 401 Unauthorized\nrtsp://h/live: Server returned 401 Unauthorized (authorization failed)', 'AUTH_FAILED'],
    ['[rtsp @ 0x5] method DESCRIBE failed: 404 Not Found\nrtsp://h/x: Server returned 404 Not Found', 'NOT_FOUND'],
    ['[http @ 0x5] HTTP error 403 Forbidden\nhttp://h/a.flv: Server returned 403 Forbidden (access denied)', 'FORBIDDEN'],
    ['[tcp @ 0x5] Connection to tcp://127.0.0.1:1 failed: Connection refused\nrtmp://127.0.0.1:1/a: Connection refused', 'CONNECTION_REFUSED'],
    ['[tcp @ 0x5] Connection to tcp://192.0.2.1:554?timeout=0 failed: Connection timed out', 'TIMEOUT'],
    ['[tcp @ 0x5] Failed to resolve hostname nosuch.invalid: Name or service not known', 'DNS_FAILED'],
    ['rtsp://h/x: Invalid data found when processing input', 'BAD_STREAM'],
    ['Stream map \'0:v:0\' matches no streams.', 'NO_VIDEO'],
  ])('%s -> %s', (stderr, code) => {
    expect(causeFromFfmpeg(stderr, exit1).code).toBe(code);
  });

  it('an ffmpeg option error is no 404 ("Option rw_timeout not found.")', () => {
    expect(causeFromFfmpeg('Option rw_timeout not found.', exit1).code).toBe('SOURCE_ERROR');
  });

  it('the password ffmpeg repeats in its URL is masked', () => {
    const c = causeFromFfmpeg('rtsp://admin:s3cr%40t@127.0.0.1:554/live: Server returned 401 Unauthorized (authorization failed)', exit1);
    expect(c.code).toBe('AUTH_FAILED');
    expect(c.message).toContain('rtsp://admin:***@127.0.0.1:554/live');
    expect(c.message).not.toContain('s3cr');
  });

  it('the last error line wins (a reconnect after an auth failure that is now refused says refused)', () => {
    expect(causeFromFfmpeg('Server returned 401 Unauthorized\n[tcp] Connection refused', exit1).code).toBe('CONNECTION_REFUSED');
  });

  it('exit 0 without an error: the source ended; otherwise the last line and the exit status', () => {
    expect(causeFromFfmpeg('Input #0, flv\n  Stream #0:0: Video: h264, 640x360', { code: 0, signal: null })).toEqual({ code: 'SOURCE_ENDED', message: 'the source ended the stream' });
    expect(causeFromFfmpeg('something odd happened', { code: 234, signal: null })).toEqual({ code: 'SOURCE_ERROR', message: 'ffmpeg exit code 234: something odd happened' });
    expect(causeFromFfmpeg('', { code: null, signal: 'SIGKILL' }).message).toBe('ffmpeg killed by SIGKILL');
  });

  it('hostile stderr: control characters are blanked and the message is bounded', () => {
    const c = causeFromFfmpeg(`x\u0007\u001b[31m${'y'.repeat(10_000)}`, exit1);
    expect(c.message.length).toBeLessThanOrEqual(MAX_CAUSE_CHARS);
    // eslint-disable-next-line no-control-regex
    expect(c.message).not.toMatch(/[\u0000-\u001f]/);
  });
});

describe('ingest command line and credentials', () => {
  it('rtsp over TCP, first video stream copied as Annex B of the expected codec to stdout', () => {
    const a = ingestArgs('rtsp://h/live', 'h264');
    expect(a.join(' ')).toContain('-rtsp_transport tcp -timeout 10000000');
    expect(a).not.toContain('-rw_timeout'); // the RTSP demuxer refuses it ("Option rw_timeout not found")
    expect(ingestArgs('rtmp://h/live/a', 'h264').join(' ')).toContain('-rw_timeout 10000000');
    expect(a.slice(-2)).toEqual(['tee', '[select=v:f=h264]pipe\\:1|[select=a:f=adts:onfail=ignore]pipe\\:3']);
    expect(ingestArgs('rtmp://h/live/a', 'h265')).not.toContain('-rtsp_transport');
    expect(ingestArgs('rtmp://h/live/a', 'h265').at(-1)).toMatch(/^\[select=v:f=hevc\]pipe\\:1\|/);
  });

  it('the first audio stream, if any, goes to fd 3 as ADTS AAC-LC 16 kHz mono (the gateway\'s track, copied by the stream); its slave may fail alone', () => {
    const a = ingestArgs('rtsp://h/live', 'h264').join(' ');
    expect(a).toContain('-map 0:v:0 -map 0:a:0? -c:v copy -c:a aac -ar 16000 -ac 1 -b:a 32k -flush_packets 1 -f tee');
    expect(a).toContain('[select=a:f=adts:onfail=ignore]pipe\\:3');
  });

  it('credentials go in as percent-encoded userinfo (srt: passphrase) and are masked for people', () => {
    const u = withCredentials('rtsp://192.0.2.1:554/live', 'ad min', 'p@ss:w/rd');
    expect(u).toBe('rtsp://ad%20min:p%40ss%3Aw%2Frd@192.0.2.1:554/live');
    expect(redactUrl(u)).toBe('rtsp://ad%20min:***@192.0.2.1:554/live');
    expect(withCredentials('srt://192.0.2.1:9000?mode=caller', null, 'secret')).toBe('srt://192.0.2.1:9000?mode=caller&passphrase=secret');
    expect(redactUrl('srt://192.0.2.1:9000?passphrase=secret&streamid=a')).toBe('srt://192.0.2.1:9000?passphrase=***&streamid=a');
    expect(withCredentials('rtmp://h/a', null, null)).toBe('rtmp://h/a');
  });
});

describe('proxy DTOs with hostile input', () => {
  const ok = { name: '东门', url: 'rtsp://192.0.2.1:554/Streaming/Channels/101' };
  const fieldOf = (r: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) => r.error?.issues.map((i) => i.path.join('.'));

  it('takes rtsp, rtmp, http(s) FLV and HLS, srt; mode defaults to on-demand', () => {
    for (const url of ['rtsp://h/a', 'rtsps://h/a', 'rtmp://192.0.2.1/live/a', 'rtmps://h/live/a', 'http://h/live/a.flv', 'https://h/hls/index.m3u8?x=1', 'srt://h:9000?streamid=a']) {
      expect(createProxySchema.safeParse({ ...ok, url }).success, url).toBe(true);
    }
    expect(createProxySchema.parse(ok).mode).toBe('on-demand');
  });

  it.each([
    [{ ...ok, url: 'file:///etc/passwd' }, 'url'],
    [{ ...ok, url: 'concat:rtsp://a|file:///etc/passwd' }, 'url'],
    [{ ...ok, url: 'pipe:0' }, 'url'],
    [{ ...ok, url: 'rtsp://u:p@h/a' }, 'url'],
    [{ ...ok, url: 'http://h/index.html' }, 'url'],
    [{ ...ok, url: 'rtsp://h/a b' }, 'url'],
    [{ ...ok, url: 'rtsp://h/a\nb' }, 'url'],
    [{ ...ok, url: `rtsp://h/${'a'.repeat(MAX_PROXY_URL_CHARS)}` }, 'url'],
    [{ ...ok, url: 'not a url' }, 'url'],
    [{ ...ok, url: 42 }, 'url'],
    [{ ...ok, name: '' }, 'name'],
    [{ ...ok, name: 'a\u0000b' }, 'name'],
    [{ ...ok, name: 'x'.repeat(65) }, 'name'],
    [{ ...ok, mode: 'sometimes' }, 'mode'],
    [{ ...ok, username: 'x'.repeat(129) }, 'username'],
    [{ ...ok, password: 'a\r\nb' }, 'password'],
    [{ ...ok, extra: 1 }, ''],
    [{ ...ok, __proto__: { admin: true }, constructor: 1 }, ''],
  ])('refuses %j naming %s', (body, field) => {
    const r = createProxySchema.safeParse(body);
    expect(r.success).toBe(false);
    if (field) expect(fieldOf(r)).toContain(field);
  });

  it('push: {name, mode: "push"} without url or credentials; a pull needs its url; PATCH rotateKey takes only true', () => {
    expect(createProxySchema.parse({ name: 'drone', mode: 'push' })).toEqual({ name: 'drone', mode: 'push' });
    for (const extra of [{ url: 'rtmp://h/live/a' }, { username: 'u' }, { password: 'p' }]) {
      const r = createProxySchema.safeParse({ name: 'drone', mode: 'push', ...extra });
      expect(r.success, JSON.stringify(extra)).toBe(false);
      expect(fieldOf(r)).toContain(Object.keys(extra)[0]);
    }
    expect(fieldOf(createProxySchema.safeParse({ name: 'x', mode: 'always' }))).toContain('url');
    expect(updateProxySchema.parse({ rotateKey: true })).toEqual({ rotateKey: true });
    expect(updateProxySchema.safeParse({ rotateKey: false }).success).toBe(false);
  });

  it('PATCH: null clears credentials; an empty patch is refused', () => {
    expect(updateProxySchema.parse({ password: null, username: null })).toEqual({ password: null, username: null });
    expect(updateProxySchema.safeParse({}).success).toBe(false);
    expect(updateProxySchema.safeParse({ url: 'gopher://h/a' }).success).toBe(false);
  });
});

describe('PushIngest: the source of a push proxy', () => {
  const unit = (dts: number, keyframe = false): FlvVideoUnit => ({ codec: 'h264', data: Buffer.from([0, 0, 0, 1, keyframe ? 0x65 : 0x41]), keyframe, dts, pts: dts });
  const pub = (remote: string): PushPublisher & { closed: string[] } => {
    const closed: string[] = [];
    return { remote, closed, close: (r) => closed.push(r) };
  };

  it('one publisher at a time; idle -> connecting -> live; timestamps in 90 kHz continue across publishers; refusals only set the cause', () => {
    const i = new PushIngest();
    const out: IngestUnit[] = [];
    i.on('unit', (u) => out.push(u));
    const a = pub('a');
    expect(i.attach(a)).toBe(true);
    expect(i.state).toBe('connecting');
    expect(i.attach(pub('b'))).toBe(false);
    i.unit(a, unit(1000, true));
    i.unit(a, unit(1040));
    expect(i.state).toBe('live');
    i.refused({ code: 'PUSH_BUSY', message: 'b' });
    expect([i.state, i.cause?.code]).toEqual(['live', 'PUSH_BUSY']);
    i.detach(a, { code: 'PUSH_STOPPED', message: 'gone' });
    expect([i.state, i.cause?.code]).toEqual(['idle', 'PUSH_STOPPED']);
    const c = pub('c');
    expect(i.attach(c)).toBe(true);
    i.unit(a, unit(5000)); // the old publisher's late unit: ignored
    i.unit(c, unit(200, true));
    i.unit(c, unit(240));
    expect(out.map((u) => u.pts90k)).toEqual([0, 3600, 7200, 10800]);
    i.stop();
    expect(c.closed).toEqual(['the proxy stopped']);
    expect(i.state).toBe('idle');
  });

  it('audio rides the video\'s RTMP clock (audio first included); units name the codec for the PSM; other codecs and dropped tags are counted', () => {
    const i = new PushIngest();
    const units: IngestUnit[] = [];
    const audio: IngestAudio[] = [];
    i.on('unit', (u) => units.push(u));
    i.on('audio', (a) => audio.push(a));
    const a = pub('a');
    i.attach(a);
    const aac = (timestamp: number) => ({ codec: 'aac' as const, data: Buffer.from([0xff, 0xf1]), timestamp });
    i.audioFrame(a, aac(980)); // before the first picture: the publisher's clock starts here
    i.unit(a, unit(1000, true));
    i.audioFrame(a, aac(1003));
    i.audioFrame(a, null);
    i.audioFrame(a, { codec: 'g711a', data: Buffer.alloc(160), timestamp: 1010 });
    i.audioFrame(pub('x'), aac(1020)); // not the publisher: ignored
    expect(audio.map((x) => [x.codec, x.pts90k])).toEqual([['aac', 0], ['aac', 23 * 90]]);
    expect(units.map((u) => [u.pts90k, u.audio])).toEqual([[20 * 90, 'aac']]);
    expect(i.audioDropped).toBe(2);
    i.detach(a, { code: 'PUSH_STOPPED', message: 'gone' });
    const b = pub('b');
    i.attach(b);
    i.unit(b, unit(0, true));
    expect(units.at(-1)!.audio).toBeUndefined(); // a new publisher: no audio known yet
    i.audioFrame(b, 'g711u'); // announced (onMetaData): the next keyframe declares it before any frame
    i.unit(b, unit(40, true));
    expect(units.at(-1)!.audio).toBe('g711u');
  });
});

describe('ArrivalAudioClock: pulled AAC frames on the arrival timeline', () => {
  it('frames follow each other by their duration; a burst ahead of real time past the lead is dropped; a gap re-anchors at arrival', () => {
    const c = new ArrivalAudioClock();
    const d = 5760; // 1024 samples at 16 kHz
    // A burst of 10 frames at once (ffmpeg flushes its probe buffer): those beyond the lead are dropped.
    const burst = Array.from({ length: 10 }, () => c.at(1_000_000, d));
    const kept = burst.filter((t): t is number => t !== null);
    expect(kept).toEqual(kept.map((_, k) => 1_000_000 + k * d));
    expect(kept.length).toBe(Math.floor(MAX_PROXY_AUDIO_LEAD_90K / d) + 1);
    expect(c.dropped).toBe(10 - kept.length);
    // Real time catches up: frames go on from where they were, no step back.
    const next = c.at(1_000_000 + kept.length * d, d);
    expect(next).toBe(1_000_000 + kept.length * d);
    // A 1 s gap: re-anchored at arrival.
    expect(c.at(2_000_000 + 90_000, d)).toBe(2_090_000);
    expect(c.at(2_090_000 + 100, d)).toBe(2_090_000 + d);
  });
});
