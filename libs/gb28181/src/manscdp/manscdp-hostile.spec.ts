import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Gb28181Error } from '../errors';
import { countItemTags, parseManscdp } from './manscdp.codec';
import { encodeCatalogResponses, encodeKeepalive } from './manscdp.encoder';
import { readXmlTree } from './manscdp-xml.parser';
import { MAX_MANSCDP_BODY_BYTES, MAX_MANSCDP_DEPTH, MAX_MANSCDP_ITEMS } from './manscdp.types';

const fixture = (name: string): Buffer => readFileSync(resolve(__dirname, 'fixtures', name));

function thrown(fn: () => unknown): Gb28181Error {
  try {
    fn();
  } catch (e) {
    if (e instanceof Gb28181Error) return e;
    throw e;
  }
  throw new Error('expected a Gb28181Error, nothing was thrown');
}

function catalogWith(count: number): Buffer {
  const head = '<?xml version="1.0" encoding="GB2312"?><Response><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>34020000001180000001</DeviceID>';
  const item = '<Item><DeviceID>34020000001320000001</DeviceID></Item>';
  return Buffer.from(`${head}<SumNum>${count}</SumNum><DeviceList Num="${count}">${item.repeat(count)}</DeviceList></Response>`);
}

describe('parseManscdp() against hostile peers', () => {
  it('billion laughs is refused with MANSCDP_DTD_FORBIDDEN before any entity is expanded', () => {
    const body = fixture('not-ok/billion-laughs.xml');
    const t0 = performance.now();
    const e = thrown(() => parseManscdp(body));
    expect(e.code).toBe('MANSCDP_DTD_FORBIDDEN');
    expect(e.message).not.toContain('lol');
    expect(performance.now() - t0).toBeLessThan(1000); // expansion would build 3 GB
  });

  it('external entity (file:///etc/passwd) is refused with MANSCDP_DTD_FORBIDDEN and nothing is read', () => {
    const e = thrown(() => parseManscdp(fixture('not-ok/external-entity.xml')));
    expect(e.code).toBe('MANSCDP_DTD_FORBIDDEN');
    expect(e.message).not.toMatch(/root:/);
  });

  it(`nesting deeper than MAX_MANSCDP_DEPTH (${MAX_MANSCDP_DEPTH}) throws MANSCDP_TOO_DEEP; 100,000 levels do not overflow the stack`, () => {
    const nest = (n: number): Buffer => Buffer.from('<Notify><CmdType>K</CmdType><SN>1</SN><DeviceID>x</DeviceID>' + '<a>'.repeat(n) + '</a>'.repeat(n) + '</Notify>');
    expect(parseManscdp(nest(MAX_MANSCDP_DEPTH - 1)).kind).toBe('Other');
    expect(thrown(() => parseManscdp(nest(MAX_MANSCDP_DEPTH))).code).toBe('MANSCDP_TOO_DEEP');
    expect(thrown(() => parseManscdp(nest(100_000))).code).toBe('MANSCDP_TOO_DEEP');
  });

  it(`a body over MAX_MANSCDP_BODY_BYTES (${MAX_MANSCDP_BODY_BYTES}) throws MANSCDP_TOO_LARGE; a smaller limit is honoured`, () => {
    const big = Buffer.alloc(MAX_MANSCDP_BODY_BYTES + 1, 0x20);
    expect(thrown(() => parseManscdp(big)).code).toBe('MANSCDP_TOO_LARGE');
    expect(thrown(() => parseManscdp(encodeKeepalive(1, 'x'), { limits: { maxBodyBytes: 64 } })).code).toBe('MANSCDP_TOO_LARGE');
  });

  it('a catalog of exactly MAX_MANSCDP_ITEMS items parses; one more throws MANSCDP_TOO_MANY_ITEMS', () => {
    const m = parseManscdp(catalogWith(MAX_MANSCDP_ITEMS));
    expect(m.kind === 'CatalogResponse' && m.items.length).toBe(MAX_MANSCDP_ITEMS);
    expect(thrown(() => parseManscdp(catalogWith(MAX_MANSCDP_ITEMS + 1))).code).toBe('MANSCDP_TOO_MANY_ITEMS');
  });

  it('a 100,000-item catalog is refused by the raw-byte pre-scan, faster than parsing a tenth of it', () => {
    const huge = catalogWith(100_000);
    const tenth = catalogWith(MAX_MANSCDP_ITEMS);
    const limits = { maxBodyBytes: huge.length };
    // The pre-scan stops counting one past the limit.
    expect(countItemTags(huge, MAX_MANSCDP_ITEMS)).toBe(MAX_MANSCDP_ITEMS + 1);
    parseManscdp(tenth); // warm up
    const t0 = performance.now();
    parseManscdp(tenth);
    const parseTenth = performance.now() - t0;
    const t1 = performance.now();
    const e = thrown(() => parseManscdp(huge, { limits }));
    const refuse = performance.now() - t1;
    expect(e.code).toBe('MANSCDP_TOO_MANY_ITEMS');
    expect(refuse).toBeLessThan(parseTenth);
  });

  it('the pre-scan never undercounts (an <Item> inside a comment counts) and the reader enforces the bound on its own', () => {
    const body = Buffer.from('<Response><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>x</DeviceID><!-- <Item> --><DeviceList><Item><DeviceID>1</DeviceID></Item></DeviceList></Response>');
    expect(countItemTags(body)).toBe(2);
    expect(thrown(() => parseManscdp(body, { limits: { maxItems: 1 } })).code).toBe('MANSCDP_TOO_MANY_ITEMS');
    expect(parseManscdp(body, { limits: { maxItems: 2 } })).toMatchObject({ kind: 'CatalogResponse', items: [{ deviceId: '1' }] });
    const tree = '<R><Item/><L><Item>a</Item><Item>b</Item></L></R>';
    expect(readXmlTree(tree, { maxDepth: 8, maxItems: 3 }).root).toEqual({ Item: '', L: { Item: ['a', 'b'] } });
    expect(thrown(() => readXmlTree(tree, { maxDepth: 8, maxItems: 2 })).code).toBe('MANSCDP_TOO_MANY_ITEMS');
  });

  it('truncated XML at every byte of a valid catalog throws a Gb28181Error, never anything else', () => {
    const [body] = encodeCatalogResponses({ sn: 5, deviceId: '34020000001180000001', items: [{ deviceId: '34020000001320000001', name: '东门路口一号', ptzType: 1 }] });
    const cut = body!.toString('latin1').lastIndexOf('</Response>');
    for (let n = 0; n < cut; n++) {
      expect(() => parseManscdp(body!.subarray(0, n))).toThrow(Gb28181Error);
    }
  });

  it('binary garbage throws a Gb28181Error', () => {
    const garbage = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 131 + 7) % 256));
    expect(() => parseManscdp(garbage)).toThrow(Gb28181Error);
    expect(() => parseManscdp(Buffer.from([0x3c, 0xff, 0xfe, 0x00, 0x3e]))).toThrow(Gb28181Error);
  });
});

describe('parseManscdp() fuzz (fast-check, fixed seeds)', () => {
  const onlyCodedErrors = (body: Uint8Array): void => {
    try {
      parseManscdp(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    } catch (e) {
      if (!(e instanceof Gb28181Error)) throw e;
      expect(e.code).toMatch(/^MANSCDP_[A-Z_]+$/);
    }
  };

  it('random bytes: only Gb28181Error escapes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), onlyCodedErrors), { seed: 28181, numRuns: 2000 });
  });

  const valid = [
    fixture('ok/hikvision-catalog.gb2312.xml'),
    fixture('ok/record-info.xml'),
    fixture('ok/device-status.xml'),
    fixture('ok/catalog-unquoted-num.xml'),
    fixture('ok/alarm.xml'),
  ];
  const tokens = ['<', '>', '/', '</Item>', '<Item>', '<!DOCTYPE a>', '<![CDATA[', ']]>', '<!--', '-->', '&#x0;', '&#99999999;', '&amp;', '="', "'", '<?', '?>', '\u0000', '<__proto__>', '</__proto__>'];

  it('mutations of valid bodies (byte flips, cuts, splices of markup): only Gb28181Error escapes', () => {
    const mutation = fc.tuple(
      fc.constantFrom(...valid),
      fc.array(
        fc.oneof(
          fc.record({ op: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
          fc.record({ op: fc.constant('cut' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
          fc.record({ op: fc.constant('splice' as const), at: fc.nat(), token: fc.constantFrom(...tokens) }),
        ),
        { minLength: 1, maxLength: 8 },
      ),
    );
    fc.assert(
      fc.property(mutation, ([base, ops]) => {
        let buf = Buffer.from(base);
        for (const m of ops) {
          const at = buf.length === 0 ? 0 : m.at % buf.length;
          if (m.op === 'flip') {
            if (buf.length > 0) buf[at] = m.byte;
          } else if (m.op === 'cut') buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + m.len)]);
          else buf = Buffer.concat([buf.subarray(0, at), Buffer.from(m.token, 'utf8'), buf.subarray(at)]);
        }
        onlyCodedErrors(buf);
      }),
      { seed: 20160301, numRuns: 3000 },
    );
  });
});
