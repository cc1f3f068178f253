import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Gb28181Error } from '../errors';
import { MAX_RTP_PACKET_BYTES, parseRtpPacket, serializeRtpPacket } from './rtp.codec';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('parseRtpPacket', () => {
  it('parseRtpPacket() with a minimal PS packet returns every header field and the payload as a subarray', () => {
    // V=2, M=1, PT=96, seq=0x1234, ts=0x00015f90 (90000), SSRC=0x0bebc201 (0200000001 decimal)
    const buf = hex('80e0 1234 00015f90 0bebc201 000001ba');
    const p = parseRtpPacket(buf);
    expect(p).toMatchObject({
      version: 2, padding: false, extension: false, csrcCount: 0, marker: true, payloadType: 96,
      sequenceNumber: 0x1234, timestamp: 90000, ssrc: 200000001, csrc: [],
    });
    expect(p.payload).toEqual(hex('000001ba'));
    expect(p.payload.buffer).toBe(buf.buffer);
  });

  it('parseRtpPacket() with CSRCs, a header extension and padding strips them from the payload', () => {
    const buf = hex('b2 60 0001 00000002 00000003 00000004 00000005 bede0001 11223344 aabb 000003');
    const p = parseRtpPacket(buf);
    expect(p.csrc).toEqual([4, 5]);
    expect(p.extensionProfile).toBe(0xbede);
    expect(p.extensionData).toEqual(hex('11223344'));
    expect(p.padding).toBe(true);
    expect(p.paddingLength).toBe(3);
    expect(p.payload).toEqual(hex('aabb'));
  });

  const bad: [string, Buffer, string][] = [
    ['11 bytes', Buffer.alloc(11, 0x80), 'RTP_TOO_SHORT'],
    ['version 1', hex('40600001000000020000000300'), 'RTP_BAD_VERSION'],
    ['CC=15 without CSRCs', hex('8f600001000000020000000300'), 'RTP_TOO_SHORT'],
    ['padding count 0', hex('a0600001000000020000000300'), 'RTP_BAD_PADDING'],
    ['padding larger than the packet', hex('a06000010000000200000003aa20'), 'RTP_BAD_PADDING'],
    ['extension without its length word', hex('9060000100000002000000030000'), 'RTP_BAD_EXTENSION'],
    ['extension length past the end', hex('906000010000000200000003bede0004aabbccdd'), 'RTP_BAD_EXTENSION'],
    ['more than 65535 bytes', Buffer.alloc(MAX_RTP_PACKET_BYTES + 1, 0x80), 'RTP_TOO_LARGE'],
  ];
  it.each(bad)('parseRtpPacket() with %s throws %s', (_name, buf, code) => {
    expect(() => parseRtpPacket(buf)).toThrow(expect.objectContaining({ code: code }));
  });

  it('parseRtpPacket() with random bytes throws nothing but Gb28181Error (fuzz, seed 4571)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          const p = parseRtpPacket(Buffer.from(bytes));
          expect(p.payload.length).toBeLessThanOrEqual(bytes.length - 12);
        } catch (e) {
          expect(e).toBeInstanceOf(Gb28181Error);
        }
      }),
      { seed: 4571, numRuns: 3000 },
    );
  });
});

describe('serializeRtpPacket', () => {
  it('serializeRtpPacket() then parseRtpPacket() gives back the same fields (property, seed 3550)', () => {
    fc.assert(
      fc.property(
        fc.record({
          marker: fc.boolean(),
          payloadType: fc.integer({ min: 0, max: 127 }),
          sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
          timestamp: fc.integer({ min: 0, max: 0xffffffff }),
          ssrc: fc.integer({ min: 0, max: 0xffffffff }),
          csrc: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 15 }),
          ext: fc.option(fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a.subarray(0, a.length - (a.length % 4))))),
          paddingLength: fc.integer({ min: 0, max: 255 }),
          payload: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
        }),
        (r) => {
          const init = { ...r, extensionData: r.ext ?? undefined, extensionProfile: r.ext ? 0xbede : undefined };
          const p = parseRtpPacket(serializeRtpPacket(init));
          expect(p.marker).toBe(r.marker);
          expect([p.payloadType, p.sequenceNumber, p.timestamp, p.ssrc]).toEqual([r.payloadType, r.sequenceNumber, r.timestamp, r.ssrc]);
          expect(p.csrc).toEqual(r.csrc);
          expect(p.payload).toEqual(r.payload);
          expect(p.paddingLength).toBe(r.paddingLength);
          if (r.ext) expect(p.extensionData).toEqual(r.ext);
          else expect(p.extension).toBe(false);
        },
      ),
      { seed: 3550, numRuns: 500 },
    );
  });

  it('serializeRtpPacket() with a 7-bit overflowing payload type throws RTP_BAD_FIELD', () => {
    expect(() => serializeRtpPacket({ payloadType: 128, sequenceNumber: 0, timestamp: 0, ssrc: 0, payload: Buffer.alloc(0) })).toThrow(
      expect.objectContaining({ code: 'RTP_BAD_FIELD' }),
    );
  });
});
