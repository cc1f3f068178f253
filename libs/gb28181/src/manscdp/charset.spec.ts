import * as iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { Gb28181Error } from '../errors';
import { canEncodeManscdpText, decodeManscdpBody, encodeManscdpText, normaliseCharsetLabel, readPrologEncoding } from './charset';
import { parseManscdp } from './manscdp.codec';

const catalogXml = (encodingLabel: string | null, name: string): string =>
  (encodingLabel === null ? '' : `<?xml version="1.0" encoding="${encodingLabel}"?>\r\n`) +
  '<Response>\r\n<CmdType>Catalog</CmdType>\r\n<SN>1</SN>\r\n<DeviceID>34020000001180000001</DeviceID>\r\n<SumNum>1</SumNum>\r\n' +
  `<DeviceList Num="1">\r\n<Item>\r\n<DeviceID>34020000001320000001</DeviceID>\r\n<Name>${name}</Name>\r\n</Item>\r\n</DeviceList>\r\n</Response>\r\n`;

function firstName(body: Buffer, override?: Parameters<typeof parseManscdp>[1]): string | null {
  const m = parseManscdp(body, override);
  if (m.kind !== 'CatalogResponse') throw new Error(`kind ${m.kind}`);
  return m.items[0]!.name;
}

describe('decodeManscdpBody()', () => {
  it('GB2312-encoded catalog with the prolog GB2312 decodes 东门路口一号', () => {
    const body = iconv.encode(catalogXml('GB2312', '东门路口一号'), 'gb2312');
    // Real GB2312 bytes, not UTF-8: 东 = B6 AB.
    expect(body.includes(Buffer.from([0xb6, 0xab]))).toBe(true);
    expect(firstName(body)).toBe('东门路口一号');
    expect(decodeManscdpBody(body).charset).toBe('GB2312');
  });

  it('GBK-encoded body with a GBK-only character (萳 = C8 6C) and the prolog GBK decodes it', () => {
    const body = iconv.encode(catalogXml('GBK', '萳北路口'), 'gbk');
    expect(body.includes(Buffer.from([0xc8, 0x6c]))).toBe(true);
    expect(firstName(body)).toBe('萳北路口');
    expect(decodeManscdpBody(body).charset).toBe('GBK');
  });

  it('GB18030 four-byte character (𠀀 U+20000) round-trips through encode and decode', () => {
    const text = catalogXml('GB18030', '𠀀萳东门');
    const body = encodeManscdpText(text, 'GB18030');
    expect(body.includes(Buffer.from([0x95, 0x32, 0x82, 0x36]))).toBe(true);
    expect(decodeManscdpBody(body)).toEqual({ text, charset: 'GB18030' });
  });

  it('萳 round-trips through GB18030 but GB2312 cannot encode it (MANSCDP_UNENCODABLE, no silent ?)', () => {
    expect(decodeManscdpBody(encodeManscdpText('<a>萳</a>', 'GB18030'), 'GB18030').text).toBe('<a>萳</a>');
    expect(canEncodeManscdpText('萳', 'GB2312')).toBe(false);
    expect(canEncodeManscdpText('萳', 'GBK')).toBe(true);
    expect(canEncodeManscdpText('东门路口一号', 'GB2312')).toBe(true);
    expect(canEncodeManscdpText('𠀀', 'GBK')).toBe(false);
    const err = (() => {
      try {
        encodeManscdpText('萳', 'GB2312');
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(Gb28181Error);
    expect((err as Gb28181Error).code).toBe('MANSCDP_UNENCODABLE');
    expect(() => encodeManscdpText('𠀀', 'GBK')).toThrow(/GBK/);
  });

  it('UTF-8 body behind a lying GB2312 prolog: the prolog garbles it, an override of UTF-8 or auto reads it right', () => {
    const body = Buffer.from(catalogXml('GB2312', '东门路口一号'), 'utf8');
    expect(firstName(body)).not.toBe('东门路口一号');
    expect(firstName(body, { charset: 'UTF-8' })).toBe('东门路口一号');
    expect(firstName(body, { charset: 'auto' })).toBe('东门路口一号');
    expect(parseManscdp(body, { charset: 'auto' }).charset).toBe('UTF-8');
  });

  it('GB2312 bytes behind a UTF-8 prolog (not valid UTF-8) fall back to GB18030', () => {
    const body = iconv.encode(catalogXml('UTF-8', '东门路口一号'), 'gb2312');
    expect(firstName(body)).toBe('东门路口一号');
    expect(parseManscdp(body).charset).toBe('GB18030');
  });

  it('GB2312 bytes with no prolog at all fall back to GB18030; ASCII with no prolog is UTF-8', () => {
    expect(firstName(iconv.encode(catalogXml(null, '东门'), 'gb2312'))).toBe('东门');
    expect(decodeManscdpBody(Buffer.from(catalogXml(null, 'East'))).charset).toBe('UTF-8');
  });

  it('override GB18030 wins over a UTF-8 prolog on GB bytes; auto keeps a GB prolog on GB bytes', () => {
    const body = iconv.encode(catalogXml('UTF-8', '东门'), 'gb18030');
    expect(decodeManscdpBody(body, 'GB18030').charset).toBe('GB18030');
    const gb = iconv.encode(catalogXml('GB2312', '东门'), 'gb2312');
    expect(decodeManscdpBody(gb, 'auto')).toMatchObject({ charset: 'GB2312' });
    expect(firstName(gb, { charset: 'auto' })).toBe('东门');
  });

  it('a UTF-8 BOM is stripped and read as UTF-8 even under a GB2312 prolog', () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(catalogXml('GB2312', '南门'), 'utf8')]);
    const { text, charset } = decodeManscdpBody(body);
    expect(charset).toBe('UTF-8');
    expect(text.startsWith('<?xml')).toBe(true);
    expect(firstName(body)).toBe('南门');
  });

  it('readPrologEncoding() reads single, double and unquoted labels and ignores non-prolog starts', () => {
    expect(readPrologEncoding(Buffer.from(`<?xml version='1.0' encoding='gbk'?><a/>`))).toBe('gbk');
    expect(readPrologEncoding(Buffer.from('  <?xml version="1.0" encoding = "GB2312" standalone="yes"?>'))).toBe('GB2312');
    expect(readPrologEncoding(Buffer.from('<?xml version="1.0"?><a encoding="gbk"/>'))).toBeNull();
    expect(readPrologEncoding(Buffer.from('<a/>'))).toBeNull();
  });

  it('normaliseCharsetLabel() maps aliases and refuses unknown labels', () => {
    expect(['gb2312', 'EUC-CN', 'gbk', 'CP936', 'gb18030', 'utf8', 'UTF-8', 'latin1'].map(normaliseCharsetLabel)).toEqual([
      'GB2312',
      'GB2312',
      'GBK',
      'GBK',
      'GB18030',
      'UTF-8',
      'UTF-8',
      null,
    ]);
  });
});

describe('ASCII bodies (the fast path: no codec)', () => {
  const ascii = '<?xml version="1.0" encoding="GB2312"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>7</SN>\r\n<Status>OK\t~</Status>\r\n</Notify>\r\n\0';

  it('encodes to the same bytes as the codec in every charset, and a non-ASCII text still goes through the codec', () => {
    for (const cs of ['GB2312', 'GBK', 'GB18030', 'UTF-8'] as const) {
      expect(encodeManscdpText(ascii, cs).equals(iconv.encode(ascii, cs === 'UTF-8' ? 'utf8' : cs.toLowerCase()))).toBe(true);
    }
    expect(encodeManscdpText('东门', 'GB2312').equals(iconv.encode('东门', 'gb2312'))).toBe(true);
    expect(() => encodeManscdpText('萳', 'GB2312')).toThrow(Gb28181Error);
  });

  it('decodes to the same text under every override and when sniffed', () => {
    const bytes = Buffer.from(ascii, 'latin1');
    for (const cs of ['GB2312', 'GBK', 'GB18030', 'UTF-8', 'auto'] as const) expect(decodeManscdpBody(bytes, cs).text).toBe(ascii);
    expect(decodeManscdpBody(bytes).charset).toBe('GB2312');
  });
});
