import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WebSocket } from 'ws';
import { VoiceRtpEncoder, parseRtpPacket, pcmTone, readVoiceSdp } from '@gb/gb28181';
import type { VoiceMediaLink } from './voice-media-link';
import { VOICE_IDLE_TIMEOUT_MS, VOICE_MAX_BYTES_PER_S, VOICE_MAX_FRAME_BYTES, VOICE_WS_CLOSE, VoiceSession } from './voice-session';

const peer = readVoiceSdp(['v=0', 'o=x 0 0 IN IP4 127.0.0.1', 's=Play', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/AVP 8', 'a=rtpmap:8 PCMA/8000', 'y=0100000005', ''].join('\r\n'));

class FakeWs extends EventEmitter {
  readyState = 1;
  bufferedAmount = 0;
  sent: (Buffer | string)[] = [];
  closedWith?: [number, string];
  send(d: Buffer | string): void {
    this.sent.push(d);
  }
  close(code: number, reason: string): void {
    this.closedWith ??= [code, reason];
    this.readyState = 3;
  }
}

function rig() {
  const sent: Buffer[] = [];
  const link: VoiceMediaLink & { closed: boolean } = { localPort: 1, closed: false, send: (p) => void sent.push(p), close() { this.closed = true; } };
  const s = new VoiceSession('34020000001320000001', '34020000001370000001', 'talk', 42);
  const bye = vi.fn(() => Promise.resolve());
  s.bye = bye;
  s.open(peer, link);
  const ws = new FakeWs();
  s.attach(ws as unknown as WebSocket);
  const frame = (b: Buffer) => ws.emit('message', b, true);
  return { s, ws, link, sent, bye, frame };
}

const pcmFrame = (n = 160) => Buffer.from(pcmTone(440, 8000, 0, n).buffer);

afterEach(() => void vi.useRealTimers());

describe('VoiceSession', () => {
  it('a 20 ms frame from the page becomes one PCMA RTP packet with the y= SSRC of the device', () => {
    const { ws, sent, frame } = rig();
    expect(JSON.parse(ws.sent[0] as string)).toMatchObject({ type: 'ready', payload: 'PCMA', law: 'alaw', sampleRate: 8000 });
    frame(pcmFrame());
    expect(sent).toHaveLength(1);
    expect(parseRtpPacket(sent[0]!)).toMatchObject({ payloadType: 8, ssrc: 100000005 });
  });

  it.each([
    ['an odd length', Buffer.alloc(321)],
    ['an empty frame', Buffer.alloc(0)],
    [`more than VOICE_MAX_FRAME_BYTES (${VOICE_MAX_FRAME_BYTES})`, Buffer.alloc(VOICE_MAX_FRAME_BYTES + 2)],
  ])('a frame of %s closes the socket with 4400, ends the session and sends BYE', (_what, bad) => {
    const { s, ws, link, bye, frame, sent } = rig();
    frame(bad);
    expect(ws.closedWith?.[0]).toBe(VOICE_WS_CLOSE.BAD_FRAME);
    expect(s.state).toBe('closed');
    expect(link.closed).toBe(true);
    expect(bye).toHaveBeenCalledOnce();
    expect(sent).toHaveLength(0);
  });

  it(`frames past VOICE_MAX_BYTES_PER_S (${VOICE_MAX_BYTES_PER_S} B/s) are dropped and counted, not sent`, () => {
    const { s, sent, frame } = rig();
    for (let i = 0; i < 300; i++) frame(pcmFrame()); // 6 s of audio in one burst
    expect(s.stats.droppedFrames).toBe(300 - VOICE_MAX_BYTES_PER_S / 320);
    expect(sent).toHaveLength(VOICE_MAX_BYTES_PER_S / 320);
    expect(s.state).toBe('open');
  });

  it('text frames are ignored; a second page gets 4409', () => {
    const { s, ws, sent } = rig();
    ws.emit('message', Buffer.from('{"type":"ping"}'), false);
    expect(sent).toHaveLength(0);
    const second = new FakeWs();
    s.attach(second as unknown as WebSocket);
    expect(second.closedWith?.[0]).toBe(VOICE_WS_CLOSE.ALREADY_CONNECTED);
    expect(s.state).toBe('open');
  });

  it('the device\'s G.711 goes to the page as 16-bit PCM', () => {
    const { ws, link } = rig();
    const enc = new VoiceRtpEncoder('PCMA', 'alaw', 7, 8);
    for (const p of enc.push(pcmTone(440, 8000, 0, 320))) link.onRtp?.(p);
    const pcm = ws.sent.filter((d): d is Buffer => Buffer.isBuffer(d));
    expect(pcm.map((b) => b.length)).toEqual([320, 320]);
  });

  it(`no audio either way for VOICE_IDLE_TIMEOUT_MS ends the session with 4408 and BYE; close() is idempotent`, async () => {
    vi.useFakeTimers();
    const { s, ws, bye } = rig();
    vi.advanceTimersByTime(VOICE_IDLE_TIMEOUT_MS + 1_500);
    expect(ws.closedWith?.[0]).toBe(VOICE_WS_CLOSE.IDLE);
    expect(s.closeReason).toMatch(/no audio/);
    await s.close('again');
    expect(bye).toHaveBeenCalledOnce();
    expect(s.closeReason).toMatch(/no audio/);
  });

  it('a BYE from the device closes the socket with 1000 and sends no BYE back', async () => {
    const { s, ws, bye } = rig();
    await s.close('the device ended the voice session (BYE)', VOICE_WS_CLOSE.ENDED, true);
    expect(ws.closedWith).toEqual([1000, 'the device ended the voice session (BYE)']);
    expect(bye).not.toHaveBeenCalled();
  });
});
