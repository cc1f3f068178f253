import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Gb28181Error } from '../errors';
import { parseSipMessage } from './sip-parser';
import { serializeSipMessage } from './sip-serializer';
import { SipTcpFramer } from './sip-tcp.framer';
import { parseDigestParams, verifyDigest } from './digest';
import { parseNameAddr, parseVia, parseCSeq } from './sip-header-values';
import { parseSipUri } from './sip-uri';
import { SAMPLE_200_OK, SAMPLE_INVITE, SAMPLE_KEEPALIVE, SAMPLE_REGISTER, SAMPLE_REGISTER_AUTH } from './testing/sip-samples';

const SEED = 0x5eed28181;
const SAMPLES = [SAMPLE_REGISTER, SAMPLE_REGISTER_AUTH, SAMPLE_KEEPALIVE, SAMPLE_INVITE, SAMPLE_200_OK];

/** Runs fn; only a Gb28181Error may escape. */
function onlyCoded(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof Gb28181Error)) throw e;
    expect(e.code).toMatch(/^[A-Z][A-Z0-9_]+$/);
  }
}

const mutation = fc.oneof(
  // bit flips
  fc.record({ kind: fc.constant('flip' as const), sample: fc.nat(SAMPLES.length - 1), at: fc.nat(), bit: fc.nat(7), times: fc.integer({ min: 1, max: 8 }) }),
  // truncation
  fc.record({ kind: fc.constant('truncate' as const), sample: fc.nat(SAMPLES.length - 1), at: fc.nat() }),
  // splice of two samples
  fc.record({ kind: fc.constant('splice' as const), sample: fc.nat(SAMPLES.length - 1), other: fc.nat(SAMPLES.length - 1), at: fc.nat(), at2: fc.nat() }),
  // byte insertion of interesting octets
  fc.record({ kind: fc.constant('insert' as const), sample: fc.nat(SAMPLES.length - 1), at: fc.nat(), bytes: fc.array(fc.constantFrom(0, 9, 10, 13, 32, 34, 44, 58, 59, 60, 62, 0x80, 0xff, 0x25), { minLength: 1, maxLength: 16 }) }),
  // many headers
  fc.record({ kind: fc.constant('headers' as const), sample: fc.nat(SAMPLES.length - 1), count: fc.integer({ min: 0, max: 2000 }), line: fc.constantFrom('X-A: b', 'Via: SIP/2.0/UDP h;branch=z9hG4bKx', ' folded', 'l: 1', 'm: <sip:a@b>, <sip:c@d>') }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(m: Mutation): Buffer {
  const s = SAMPLES[m.sample]!;
  switch (m.kind) {
    case 'flip': {
      const b = Buffer.from(s);
      for (let i = 0; i < m.times; i++) {
        const at = (m.at + i * 7919) % b.length;
        b[at] = b[at]! ^ (1 << m.bit);
      }
      return b;
    }
    case 'truncate':
      return s.subarray(0, m.at % (s.length + 1));
    case 'splice': {
      const o = SAMPLES[m.other]!;
      return Buffer.concat([s.subarray(0, m.at % (s.length + 1)), o.subarray(m.at2 % (o.length + 1))]);
    }
    case 'insert': {
      const at = m.at % (s.length + 1);
      return Buffer.concat([s.subarray(0, at), Buffer.from(m.bytes), s.subarray(at)]);
    }
    case 'headers': {
      const text = s.toString('latin1');
      const cut = text.indexOf('\r\n') + 2;
      return Buffer.from(text.slice(0, cut) + `${m.line}\r\n`.repeat(m.count) + text.slice(cut), 'latin1');
    }
  }
}

describe('SIP fuzzing (fast-check, fixed seed)', () => {
  it('parseSipMessage() on random bytes throws nothing but Gb28181Error', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => onlyCoded(() => parseSipMessage(Buffer.from(bytes)))), { seed: SEED, numRuns: 3000 });
  });

  it('parseSipMessage() on random SIP-ish text throws nothing but Gb28181Error', () => {
    const piece = fc.constantFrom('INVITE ', 'SIP/2.0', ' ', '\r\n', '\n', ':', ';', ',', '"', '<', '>', 'sip:', '@', 'Via', 'v', 'CSeq', '1 INVITE', 'l', '0', '99999999999', 'tag=', 'branch=z9hG4bK', '\\', '\t', '=', 'From', 'To', 'i', 'Call-ID');
    fc.assert(fc.property(fc.array(piece, { maxLength: 200 }), (parts) => onlyCoded(() => parseSipMessage(Buffer.from(parts.join(''))))), { seed: SEED, numRuns: 3000 });
  });

  it('parseSipMessage() on mutated real messages throws nothing but Gb28181Error, and what parses re-serializes and re-parses', () => {
    fc.assert(
      fc.property(mutation, (m) => {
        const data = mutate(m);
        let msg;
        try {
          msg = parseSipMessage(data);
        } catch (e) {
          if (!(e instanceof Gb28181Error)) throw e;
          return;
        }
        const again = parseSipMessage(serializeSipMessage(msg));
        expect(again.body.equals(msg.body)).toBe(true);
        // the structured-value parsers see peer text too
        for (const v of msg.headers.getAll('Via')) onlyCoded(() => parseVia(v));
        for (const h of ['From', 'To', 'Contact']) for (const v of msg.headers.getAll(h)) onlyCoded(() => parseNameAddr(v));
        onlyCoded(() => parseCSeq(msg.headers.get('CSeq') ?? ''));
        if (msg.type === 'request') onlyCoded(() => parseSipUri(msg.uri));
      }),
      { seed: SEED, numRuns: 4000 },
    );
  });

  it('SipTcpFramer: random chunking of a stream yields the same messages as one push', () => {
    const stream = fc.array(fc.constantFrom(...SAMPLES, Buffer.from('\r\n\r\n')), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(stream, fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 60 }), (parts, sizes) => {
        const all = Buffer.concat(parts);
        const whole = new SipTcpFramer().push(all);
        const f = new SipTcpFramer();
        const chunked: Buffer[] = [];
        let off = 0;
        let k = 0;
        while (off < all.length) {
          const n = sizes[k++ % sizes.length]!;
          chunked.push(...f.push(all.subarray(off, off + n)));
          off += n;
        }
        expect(chunked.map((b) => b.toString('hex'))).toEqual(whole.map((b) => b.toString('hex')));
        expect(whole).toHaveLength(parts.filter((p) => p.length > 4).length);
        expect(f.bufferedBytes).toBe(0);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('SipTcpFramer on random and mutated bytes throws nothing but Gb28181Error', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 4096 }).map((b) => Buffer.from(b)), mutation.map(mutate)), fc.integer({ min: 1, max: 64 }), (data, step) => {
        const f = new SipTcpFramer({ maxHeaderBytes: 2048, maxMessageBytes: 8192 });
        onlyCoded(() => {
          for (let i = 0; i < data.length; i += step) f.push(data.subarray(i, i + step));
        });
      }),
      { seed: SEED, numRuns: 1500 },
    );
  });

  it('parseDigestParams() / verifyDigest() on random and mutated header values throw nothing but Gb28181Error', () => {
    const auth = SAMPLE_REGISTER_AUTH.toString().split('\r\n').find((l) => l.startsWith('Authorization:'))!.slice(15);
    const mutated = fc.tuple(fc.nat(auth.length), fc.nat(auth.length), fc.string({ maxLength: 12 })).map(([a, b, ins]) => auth.slice(0, Math.min(a, b)) + ins + auth.slice(Math.max(a, b)));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), mutated), (v) =>
        onlyCoded(() => {
          const p = parseDigestParams(v);
          expect(typeof verifyDigest({ params: p, method: 'REGISTER', password: '12345678' })).toBe('boolean');
        }),
      ),
      { seed: SEED, numRuns: 4000 },
    );
  });
});
