import { describe, it, expect } from 'vitest';
import { SipTcpFramer } from './sip-tcp.framer';
import { parseSipMessage } from './sip-parser';
import { SAMPLE_INVITE, SAMPLE_KEEPALIVE, SAMPLE_REGISTER } from './testing/sip-samples';

describe('SipTcpFramer', () => {
  it('push() of a message split at every byte position yields that message once', () => {
    for (let cut = 0; cut <= SAMPLE_KEEPALIVE.length; cut++) {
      const f = new SipTcpFramer();
      const out = [...f.push(SAMPLE_KEEPALIVE.subarray(0, cut)), ...f.push(SAMPLE_KEEPALIVE.subarray(cut))];
      expect(out).toHaveLength(1);
      expect(out[0]!.equals(SAMPLE_KEEPALIVE)).toBe(true);
      expect(f.bufferedBytes).toBe(0);
    }
  });

  it('push() of two messages in one chunk yields both, in order', () => {
    const f = new SipTcpFramer();
    const out = f.push(Buffer.concat([SAMPLE_REGISTER, SAMPLE_INVITE]));
    expect(out.map((b) => b.toString('latin1'))).toEqual([SAMPLE_REGISTER.toString('latin1'), SAMPLE_INVITE.toString('latin1')]);
  });

  it('push() one byte at a time yields every message and stays linear', () => {
    const stream = Buffer.concat(Array.from({ length: 200 }, () => SAMPLE_INVITE));
    const f = new SipTcpFramer();
    const out: Buffer[] = [];
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < stream.length; i++) out.push(...f.push(stream.subarray(i, i + 1)));
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    expect(out).toHaveLength(200);
    expect(out.every((b) => b.equals(SAMPLE_INVITE))).toBe(true);
    expect(ms).toBeLessThan(3000); // ~120 KB byte by byte; an O(n^2) framer takes far longer
  });

  it('skips RFC 5626 CRLF keep-alives between and before messages', () => {
    const f = new SipTcpFramer();
    expect(f.push(Buffer.from('\r\n\r\n'))).toEqual([]);
    expect(f.bufferedBytes).toBe(0);
    const out = f.push(Buffer.concat([Buffer.from('\r\n'), SAMPLE_REGISTER, Buffer.from('\r\n\r\n'), SAMPLE_REGISTER]));
    expect(out).toHaveLength(2);
    expect(parseSipMessage(out[1]!).headers.get('Call-ID')).toBe('1011047669');
  });

  it('reads the compact l: form and folded headers', () => {
    const m = Buffer.from('MESSAGE sip:a@h SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nl:\r\n 5\r\n\r\nhello');
    expect(new SipTcpFramer().push(m)[0]!.toString()).toContain('hello');
  });

  it('throws SIP_FRAME_NO_CONTENT_LENGTH for a message without Content-Length', () => {
    const m = Buffer.from('OPTIONS sip:a@h SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\r\n');
    expect(() => new SipTcpFramer().push(m)).toThrow(expect.objectContaining({ code: 'SIP_FRAME_NO_CONTENT_LENGTH' }));
  });

  it('throws SIP_BAD_FRAME for a negative or conflicting Content-Length', () => {
    expect(() => new SipTcpFramer().push(Buffer.from('A sip:a@h SIP/2.0\r\nContent-Length: -999\r\n\r\n'))).toThrow(expect.objectContaining({ code: 'SIP_BAD_FRAME' }));
    expect(() => new SipTcpFramer().push(Buffer.from('A sip:a@h SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\nab'))).toThrow(expect.objectContaining({ code: 'SIP_BAD_FRAME' }));
  });

  it('throws SIP_FRAME_TOO_LARGE for a body over maxMessageBytes and for endless headers', () => {
    const big = Buffer.from('MESSAGE sip:a@h SIP/2.0\r\nContent-Length: 300000\r\n\r\n');
    expect(() => new SipTcpFramer().push(big)).toThrow(expect.objectContaining({ code: 'SIP_FRAME_TOO_LARGE' }));
    const f = new SipTcpFramer({ maxHeaderBytes: 1024 });
    expect(() => {
      for (let i = 0; i < 100; i++) f.push(Buffer.from('X-Junk: 0123456789abcdef\r\n'));
    }).toThrow(expect.objectContaining({ code: 'SIP_FRAME_TOO_LARGE' }));
  });

  it('reset() drops a partial message', () => {
    const f = new SipTcpFramer();
    f.push(SAMPLE_INVITE.subarray(0, 100));
    expect(f.bufferedBytes).toBe(100);
    f.reset();
    expect(f.bufferedBytes).toBe(0);
    expect(f.push(SAMPLE_REGISTER)).toHaveLength(1);
  });
});
