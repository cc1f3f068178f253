import { describe, it, expect, afterEach } from 'vitest';
import * as dgram from 'node:dgram';
import { spawnSync } from 'node:child_process';
import { createRequest, parseRtpPacket, parseSdp, serializeSipMessage, type SipResponse } from '@gb/gb28181';
import { FakePlatform, SERVER_ID, DOMAIN, DEVICE_ID, PASSWORD } from '../../test/fake-platform';
import { SimulatedDevice } from '../simulated-device';
import { buildChannels, channelId } from '../sim-options';
import { ffmpegPath } from './ffmpeg-path';
import { createTestPatternInviteHook } from './test-pattern-invite.hook';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function requireFfmpeg(): void {
  const r = spawnSync(ffmpegPath(), ['-hide_banner', '-encoders'], { encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout.includes('libx264')) {
    throw new Error(`this test needs ffmpeg with libx264: install it (apt-get install ffmpeg) or set FFMPEG_PATH (tried "${ffmpegPath()}")`);
  }
}

describe('createTestPatternInviteHook()', () => {
  it('answers a live UDP INVITE with sendonly PS/90000 and, after ACK, streams PS over RTP with the offered SSRC until BYE', async () => {
    requireFfmpeg();
    const platform = new FakePlatform('udp');
    await platform.listen();
    cleanups.push(() => platform.close());
    const rtp = dgram.createSocket('udp4');
    await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => rtp.close(() => r())));
    const packets: Buffer[] = [];
    rtp.on('message', (m) => packets.push(m));

    const device = new SimulatedDevice(
      {
        deviceId: DEVICE_ID, serverHost: '127.0.0.1', serverPort: platform.port, serverId: SERVER_ID, domain: DOMAIN, password: PASSWORD,
        transport: 'udp', localHost: '127.0.0.1', expires: 3600, keepaliveSeconds: 60, charset: 'GB2312', catalogPerMessage: 2,
        channels: buildChannels(DEVICE_ID, 0, 1), manufacturer: 'GBSIM', model: 'SIM', firmware: '1', name: 'x', retryDelayMs: 0,
      },
      { onInvite: createTestPatternInviteHook({ width: 320, height: 180, fps: 25 }) },
    );
    device.on('error', () => undefined);
    cleanups.push(() => device.stop({ unregister: false }));
    await device.start();

    const channel = channelId(DEVICE_ID, 1);
    const port = rtp.address().port;
    const offer = [
      'v=0', `o=${SERVER_ID} 0 0 IN IP4 127.0.0.1`, 's=Play', 'c=IN IP4 127.0.0.1', 't=0 0',
      `m=video ${port} RTP/AVP 96 97 98`, 'a=recvonly', 'a=rtpmap:96 PS/90000', 'a=rtpmap:97 MPEG4/90000', 'a=rtpmap:98 H264/90000', 'y=0200000001', '',
    ].join('\r\n');
    const base = {
      uri: `sip:${channel}@${DOMAIN}`, from: { uri: `sip:${SERVER_ID}@${DOMAIN}`, tag: 'pl1' }, callId: 'inv-1@127.0.0.1',
    };
    platform.send(serializeSipMessage(createRequest({
      ...base, method: 'INVITE', via: { transport: 'UDP', host: '127.0.0.1', port: platform.port, branch: 'z9hG4bKinv1' },
      to: { uri: `sip:${channel}@${DOMAIN}` }, cseq: 1, contact: `sip:${SERVER_ID}@127.0.0.1:${platform.port}`,
      headers: [['Subject', `${channel}:0,${SERVER_ID}:0`]], body: Buffer.from(offer), contentType: 'APPLICATION/SDP',
    })));
    const ok = await platform.until('200 to INVITE', () => platform.responses.find((r: SipResponse) => r.status === 200 && r.headers.get('CSeq') === '1 INVITE'));
    const answer = parseSdp(ok.body.toString('utf8'));
    expect(answer.sessionName).toBe('Play');
    expect(answer.ssrc).toBe('0200000001');
    expect(answer.media[0]!.formats).toEqual([96]);
    expect(answer.media[0]!.direction).toBe('sendonly');
    const toTag = /tag=([^;>\s]+)/.exec(ok.headers.get('To')!)![1];
    platform.send(serializeSipMessage(createRequest({
      ...base, method: 'ACK', via: { transport: 'UDP', host: '127.0.0.1', port: platform.port, branch: 'z9hG4bKack1' },
      to: { uri: `sip:${channel}@${DOMAIN}`, tag: toTag }, cseq: 1,
    })));
    await platform.until('40 RTP packets', () => packets.length >= 40, 10_000);
    const first = parseRtpPacket(packets[0]!);
    expect(first.payloadType).toBe(96);
    expect(first.ssrc).toBe(200000001);
    expect(first.payload.subarray(0, 4).toString('hex')).toBe('000001ba');
    expect(packets.some((p) => parseRtpPacket(p).marker)).toBe(true);

    platform.send(serializeSipMessage(createRequest({
      ...base, method: 'BYE', via: { transport: 'UDP', host: '127.0.0.1', port: platform.port, branch: 'z9hG4bKbye1' },
      to: { uri: `sip:${channel}@${DOMAIN}`, tag: toTag }, cseq: 2,
    })));
    await platform.until('200 to BYE', () => platform.responses.find((r) => r.status === 200 && r.headers.get('CSeq') === '2 BYE'));
    await new Promise((r) => setTimeout(r, 150));
    const after = packets.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(packets.length).toBe(after);
  });
});
