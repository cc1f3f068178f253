import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { FlvMuxer } from '@gb/gb28181';
import { fixtureFrames } from '../../../../test/fixtures/media/media-fixtures';
import { GatewayError } from '../common/gateway-error';
import { FlvFanout } from '../media/flv-fanout';
import type { GatewayConfig } from '../config/config.schema';
import type { StreamsService } from '../streams/streams.service';
import { WebRtcService } from './webrtc.service';

/** The part of a StreamSession the service uses: a media session emitting access units, hold(), 'closed'. */
class FakeStream extends EventEmitter {
  readonly streamId = '34020000001320000001_34020000001310000001';
  isOpen = true;
  webrtcViewers = 0;
  holds = 0;
  readonly media = Object.assign(new EventEmitter(), { info: () => ({ codec: this.codec, audioCodec: null }), flv: new FlvFanout() });
  constructor(public codec: 'h264' | 'h265') {
    super();
  }
  get mediaSession() {
    return this.media;
  }
  hold() {
    this.holds++;
    return () => void this.holds--;
  }
}

const cfg = (over: Partial<GatewayConfig> = {}) => ({ WEBRTC_MAX_PEERS: 4, WEBRTC_PORT_MIN: 0, WEBRTC_PORT_MAX: 0, ...over }) as GatewayConfig;
const service = (stream: FakeStream | undefined, over: Partial<GatewayConfig> = {}) =>
  new WebRtcService(cfg(over), { get: () => stream, touch: () => undefined } as unknown as StreamsService);

/** A real werift peer as the viewer: a recvonly H.264 offer (host candidates, loopback included). */
async function viewer(): Promise<{ pc: RTCPeerConnection; offer: string }> {
  const pc = new RTCPeerConnection({
    codecs: { video: [new RTCRtpCodecParameters({ mimeType: 'video/H264', clockRate: 90000, parameters: 'packetization-mode=1;profile-level-id=42e01f' })], audio: [] },
    iceServers: [], iceUseIpv6: false, iceAdditionalHostAddresses: ['127.0.0.1'],
  });
  pc.addTransceiver('video', { direction: 'recvonly' });
  await pc.setLocalDescription(await pc.createOffer());
  return { pc, offer: pc.localDescription!.sdp };
}

const code = async (p: Promise<unknown>) => ((await p.then(() => null, (e: unknown) => e)) as GatewayError | null)?.code;
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.map((f) => f()));
  cleanup = [];
});

describe('WebRtcService', () => {
  it('offer() refuses with a stable code: H.265 (WEBRTC_UNSUPPORTED_CODEC, 415), no stream, not SDP, WebRTC off', async () => {
    const { pc, offer } = await viewer();
    cleanup.push(() => pc.close());
    expect(await code(service(new FakeStream('h265')).offer('x', offer))).toBe('WEBRTC_UNSUPPORTED_CODEC');
    expect(await code(service(undefined).offer('x', offer))).toBe('STREAM_NOT_FOUND');
    expect(await code(service(new FakeStream('h264')).offer('x', 'hello'))).toBe('VALIDATION_FAILED');
    expect(await code(service(new FakeStream('h264'), { WEBRTC_MAX_PEERS: 0 }).offer('x', offer))).toBe('FEATURE_DISABLED');
  });

  it('a werift viewer connects, receives the stream from its next keyframe as RFC 6184 RTP (marker per frame), holds the stream and counts; remove() releases both; past WEBRTC_MAX_PEERS: WEBRTC_LIMIT', async () => {
    const stream = new FakeStream('h264');
    const svc = service(stream, { WEBRTC_MAX_PEERS: 1 });
    cleanup.push(() => svc.onApplicationShutdown());
    const { pc, offer } = await viewer();
    cleanup.push(() => pc.close());
    const packets: { marker: boolean; ts: number; nalType: number }[] = [];
    pc.onTrack.subscribe((t) => t.onReceiveRtp.subscribe((r) => packets.push({ marker: r.header.marker, ts: r.header.timestamp, nalType: r.payload[0]! & 0x1f })));
    const { peerId, answer } = await svc.offer(stream.streamId, offer);
    expect(answer).toMatch(/^v=0/);
    expect(answer).toMatch(/a=rtpmap:\d+ H264\/90000/);
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    expect(stream.holds).toBe(1);
    expect(stream.webrtcViewers).toBe(1);
    const second = await viewer();
    cleanup.push(() => second.pc.close());
    expect(await code(svc.offer(stream.streamId, second.offer))).toBe('WEBRTC_LIMIT');

    const until = Date.now() + 8000;
    while ((pc.connectionState !== 'connected' || svc.connectedPeers < 1) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(pc.connectionState).toBe('connected');
    expect(svc.connectedPeers).toBe(1);
    const frames = fixtureFrames('h264-176x144-30f'); // IDR at 0, 10, 20
    frames.slice(5).forEach((f, i) => stream.media.emit('accessUnit', { kind: 'video', codec: 'h264', streamId: 0xe0, pts: 9000 + i * 3600, keyframe: f.key, data: f.data }));
    while (packets.filter((p) => p.marker).length < 20 && Date.now() < until + 3000) await new Promise((r) => setTimeout(r, 20));
    // frames 5..9 were before the keyframe: the first packets are SPS (7) of frame 10
    expect(packets[0]!.nalType).toBe(7);
    expect(packets[0]!.ts).toBe(9000 + 5 * 3600);
    expect(packets.filter((p) => p.marker).length).toBe(20);

    await svc.remove(stream.streamId, peerId);
    expect(stream.holds).toBe(0);
    expect(stream.webrtcViewers).toBe(0);
    expect(svc.peerCount).toBe(0);
    expect(await code(svc.remove(stream.streamId, peerId))).toBe('NOT_FOUND');
  }, 20_000);

  it('a viewer that joins mid-GOP gets the cached frames from the latest keyframe at once (timestamps pulled together below the latest), then the live ones; nothing cached: the camera is asked for a keyframe (IFameCmd)', async () => {
    const stream = new FakeStream('h264');
    const controls: Record<string, string | number>[] = [];
    const queries = { sendControl: async (_d: string, _c: string, _t: string, extra: Record<string, string | number>) => (controls.push(extra), { sn: 1 }) };
    const svc = new WebRtcService(cfg(), { get: () => stream, touch: () => undefined } as unknown as StreamsService, queries as never);
    cleanup.push(() => svc.onApplicationShutdown());
    const frames = fixtureFrames('h264-176x144-30f'); // IDR at 0, 10, 20
    const emit = (i: number) => stream.media.emit('accessUnit', { kind: 'video', codec: 'h264', streamId: 0xe0, pts: i * 3600, keyframe: frames[i]!.key, data: frames[i]!.data });
    // first viewer: nothing cached yet -> keyframe request
    const a = await viewer();
    cleanup.push(() => a.pc.close());
    await a.pc.setRemoteDescription({ type: 'answer', sdp: (await svc.offer(stream.streamId, a.offer)).answer });
    const until = Date.now() + 8000;
    while (svc.connectedPeers < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(controls).toEqual([{ IFameCmd: 'Send' }]);
    for (let i = 0; i < 15; i++) emit(i); // cached now: frames 10..14
    const b = await viewer();
    cleanup.push(() => b.pc.close());
    const packets: { marker: boolean; ts: number; nalType: number }[] = [];
    b.pc.onTrack.subscribe((t) => t.onReceiveRtp.subscribe((r) => packets.push({ marker: r.header.marker, ts: r.header.timestamp, nalType: r.payload[0]! & 0x1f })));
    await b.pc.setRemoteDescription({ type: 'answer', sdp: (await svc.offer(stream.streamId, b.offer)).answer });
    while (svc.connectedPeers < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    emit(15); // the burst goes out in front of the first live frame after the connection
    while (packets.filter((p) => p.marker).length < 6 && Date.now() < until + 2000) await new Promise((r) => setTimeout(r, 20));
    expect(controls.length).toBe(1); // the cache served the second viewer
    expect(packets[0]!.nalType).toBe(7);
    const frameTs = packets.filter((p) => p.marker).map((p) => p.ts);
    // werift adds a per-peer offset: compare differences; 10..14 -> 1 tick apart, just below frame 15's own time
    expect(frameTs.map((ts) => (ts - frameTs[5]! + 2 ** 32) % 2 ** 32)).toEqual([2 ** 32 - 5, 2 ** 32 - 4, 2 ** 32 - 3, 2 ** 32 - 2, 2 ** 32 - 1, 0]);
  }, 20_000);

  it('the first viewer of a stream starts from the GOP the FLV fan-out holds (the feed starts after the keyframe went by)', async () => {
    const stream = new FakeStream('h264');
    const frames = fixtureFrames('h264-176x144-30f');
    const mux = new FlvMuxer();
    stream.media.flv.pushHeader(FlvMuxer.header({ audio: false }));
    for (let i = 0; i < 14; i++) for (const tag of mux.videoTags(frames[i]!.data, i * 3600, i * 3600, frames[i]!.key)) stream.media.flv.pushTag(tag);
    const svc = service(stream);
    cleanup.push(() => svc.onApplicationShutdown());
    const { pc, offer } = await viewer();
    cleanup.push(() => pc.close());
    const packets: { marker: boolean; nalType: number }[] = [];
    pc.onTrack.subscribe((t) => t.onReceiveRtp.subscribe((r) => packets.push({ marker: r.header.marker, nalType: r.payload[0]! & 0x1f })));
    await pc.setRemoteDescription({ type: 'answer', sdp: (await svc.offer(stream.streamId, offer)).answer });
    const until = Date.now() + 8000;
    while (svc.connectedPeers < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    stream.media.emit('accessUnit', { kind: 'video', codec: 'h264', streamId: 0xe0, pts: 14 * 3600, keyframe: false, data: frames[14]!.data });
    while (packets.filter((p) => p.marker).length < 5 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(packets[0]!.nalType).toBe(7); // SPS of frame 10, from the FLV sequence header
    expect(packets.filter((p) => p.marker).length).toBe(5); // 10..13 from the fan-out, 14 live
  }, 20_000);
});
