import { buildGbAnswer, parseSdp, type SessionDescription } from '@gb/gb28181';
import type { InviteAnswer, InviteHook } from './invite-hook';
import { PsRtpSender } from './ps-rtp.sender';
import { TestPatternSource, type TestPatternOptions } from './test-pattern.source';

/**
 * An InviteHook that answers live INVITEs (s=Play) with `buildGbAnswer` and, once ACKed, streams
 * an ffmpeg test pattern as PS over RTP to the offered address: UDP, or TCP when the offer says
 * `TCP/RTP/AVP` with a=setup:passive (the device connects). Playback/Download and TCP-active are
 * answered 488 (not simulated).
 */
export function createTestPatternInviteHook(pattern: TestPatternOptions = {}): InviteHook {
  return async (ctx): Promise<InviteAnswer> => {
    let offer: SessionDescription;
    try {
      offer = parseSdp(ctx.offer);
    } catch {
      return { status: 400, reason: 'Bad SDP' };
    }
    const m = offer.media.find((x) => x.type === 'video') ?? offer.media[0];
    const address = m?.connection?.address ?? offer.connection?.address;
    if (!m || !address || offer.sessionName !== 'Play') return { status: 488 };
    const tcp = /^TCP\//i.test(m.protocol);
    if (tcp && m.setup === 'active') return { status: 488, reason: 'TCP active not simulated' };
    const ssrcText = offer.ssrc ?? '0';
    const sender = new PsRtpSender({
      transport: tcp ? 'tcp' : 'udp', remoteHost: address, remotePort: m.port, localHost: ctx.localHost, ssrc: Number(ssrcText) >>> 0,
    });
    const localPort = await sender.bind();
    const sdp = buildGbAnswer({ offer, deviceId: ctx.channelId, ip: ctx.localHost, port: localPort || 9, ssrc: ssrcText });
    const source = new TestPatternSource(pattern);
    source.on('error', () => undefined);
    let stopped = false;
    const stop = () => {
      stopped = true;
      source.stop();
      sender.close();
    };
    return {
      status: 200,
      sdp,
      onAck: () => {
        void (async () => {
          try {
            await sender.connect();
          } catch {
            return stop();
          }
          if (stopped) return;
          source.on('frame', (au, pts, key) => sender.sendFrame(au, pts, key));
          source.start();
        })();
      },
      onBye: stop,
    };
  };
}
