/**
 * Character sets of MANSCDP bodies.
 *
 * GB/T 28181-2016 asks for GB2312 in signalling, but devices send GB2312, GBK,
 * GB18030 or UTF-8, and the XML prolog's `encoding=` does not always match the
 * bytes. Policy (see docs/decisions/xml-charset.md):
 * - decode by the prolog unless the caller overrides (per-device setting);
 * - GB2312 and GBK are decoded as GB18030, their superset;
 * - a UTF-8 (or absent) label on bytes that are not valid UTF-8 falls back to GB18030;
 * - `'auto'` sniffs the bytes: valid UTF-8 with non-ASCII content is UTF-8 whatever the label says.
 *
 * Decoding uses the WHATWG `TextDecoder('gb18030')` (about 3x faster than
 * iconv-lite here); encoding uses iconv-lite because `TextEncoder` only speaks UTF-8.
 */
import { isUtf8 } from 'node:buffer';
import * as iconv from 'iconv-lite';
import { Gb28181Error } from '../errors';

export type ManscdpCharset = 'GB2312' | 'GBK' | 'GB18030' | 'UTF-8';

export const MANSCDP_CHARSETS: readonly ManscdpCharset[] = ['GB2312', 'GBK', 'GB18030', 'UTF-8'];

/** How far into the body the XML prolog is looked for. */
export const MANSCDP_PROLOG_SCAN_BYTES = 256;

const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;
const GB18030_BOM = [0x84, 0x31, 0x95, 0x33] as const;

type Decode = (bytes: Uint8Array) => string;

const decodeGb18030: Decode = (() => {
  try {
    const decoder = new TextDecoder('gb18030');
    return (bytes: Uint8Array) => decoder.decode(bytes);
  } catch {
    // Node built without full ICU: iconv-lite is slower but complete.
    return (bytes: Uint8Array) => iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'gb18030');
  }
})();

const utf8Decoder = new TextDecoder('utf-8');

/** Maps an `encoding=` label (any case) to a MANSCDP charset; `null` if not one of ours. */
export function normaliseCharsetLabel(label: string): ManscdpCharset | null {
  switch (label.trim().toLowerCase()) {
    case 'gb2312':
    case 'euc-cn':
    case 'x-euc-cn':
    case 'csgb2312':
      return 'GB2312';
    case 'gbk':
    case 'x-gbk':
    case 'cp936':
    case 'ms936':
    case 'windows-936':
      return 'GBK';
    case 'gb18030':
    case 'gb-18030':
      return 'GB18030';
    case 'utf-8':
    case 'utf8':
      return 'UTF-8';
    default:
      return null;
  }
}

/** The `encoding=` label of the XML prolog, if the body starts with one. ASCII-only scan of the raw bytes. */
export function readPrologEncoding(body: Uint8Array): string | null {
  const end = Math.min(body.length, MANSCDP_PROLOG_SCAN_BYTES);
  let head = '';
  for (let i = 0; i < end; i++) {
    const b = body[i]!;
    if (b >= 0x80) break;
    head += String.fromCharCode(b);
    if (b === 0x3e /* > */) break;
  }
  const m = /^\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']?([A-Za-z0-9._:-]+)/i.exec(head);
  return m ? m[1]! : null;
}

function startsWith(body: Uint8Array, prefix: readonly number[]): boolean {
  if (body.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (body[i] !== prefix[i]) return false;
  return true;
}

/** A character outside ASCII (a UTF-16 code unit from 0x80 up). */
const NON_ASCII = /[\u0080-\uffff]/;

function hasNonAscii(body: Uint8Array): boolean {
  for (let i = 0; i < body.length; i++) if (body[i]! >= 0x80) return true;
  return false;
}

function decodeAs(bytes: Uint8Array, charset: ManscdpCharset): string {
  // Bytes below 0x80 are the same characters in every MANSCDP charset (keepalives, most answers): no decoder needed.
  if (!hasNonAscii(bytes)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  return charset === 'UTF-8' ? utf8Decoder.decode(bytes) : decodeGb18030(bytes);
}

/**
 * Decodes a MANSCDP body to text. `override` (a per-device setting) wins over the
 * prolog; `'auto'` sniffs. The returned `charset` is the one the text was decoded as
 * (GB2312/GBK labels are reported as labelled, though decoded as GB18030).
 */
export function decodeManscdpBody(
  body: Buffer,
  override?: ManscdpCharset | 'auto',
): { text: string; charset: ManscdpCharset } {
  let bytes: Uint8Array = body;
  let bomCharset: ManscdpCharset | null = null;
  if (startsWith(bytes, UTF8_BOM)) {
    bytes = bytes.subarray(UTF8_BOM.length);
    bomCharset = 'UTF-8';
  } else if (startsWith(bytes, GB18030_BOM)) {
    bytes = bytes.subarray(GB18030_BOM.length);
    bomCharset = 'GB18030';
  }

  let charset: ManscdpCharset;
  if (override !== undefined && override !== 'auto') {
    charset = override;
  } else {
    const label = readPrologEncoding(bytes);
    const labelled = bomCharset ?? (label === null ? null : normaliseCharsetLabel(label));
    const validUtf8 = isUtf8(bytes);
    if (override === 'auto') {
      charset = validUtf8 && hasNonAscii(bytes) ? 'UTF-8' : labelled ?? (validUtf8 ? 'UTF-8' : 'GB18030');
      if (charset === 'UTF-8' && !validUtf8) charset = 'GB18030';
    } else if (labelled === null || labelled === 'UTF-8') {
      // Devices lie: a UTF-8 (or missing/unknown) label on GB bytes.
      charset = validUtf8 ? 'UTF-8' : 'GB18030';
    } else {
      charset = labelled;
    }
  }
  return { text: decodeAs(bytes, charset), charset };
}

/** The iconv-lite codec used to encode each charset. */
const ENCODER_NAME: Record<ManscdpCharset, string> = {
  GB2312: 'gb2312', // iconv-lite's gb2312 is cp936 (GBK); strict GB2312 is checked below
  GBK: 'gbk',
  'GB18030': 'gb18030',
  'UTF-8': 'utf8',
};

/**
 * True when every double-byte sequence lies in the EUC-CN (GB2312) area:
 * lead 0xA1-0xF7, trail 0xA1-0xFE. GBK's extensions (lead 0x81-0xA0 or trail < 0xA1,
 * e.g. 萳 = C8 6C) and the single byte 0x80 are not GB2312.
 */
function isStrictGb2312(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b < 0x80) continue;
    const t = bytes[i + 1];
    if (b < 0xa1 || b > 0xf7 || t === undefined || t < 0xa1 || t > 0xfe) return false;
    i++;
  }
  return true;
}

/** Whether `text` can be encoded in `charset` without loss. */
export function canEncodeManscdpText(text: string, charset: ManscdpCharset): boolean {
  if (charset === 'UTF-8' || charset === 'GB18030') return !/[\uD800-\uDFFF]/.test(text.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''));
  const bytes = iconv.encode(text, ENCODER_NAME[charset]);
  if (iconv.decode(bytes, ENCODER_NAME[charset]) !== text) return false;
  return charset === 'GBK' || isStrictGb2312(bytes);
}

/**
 * Encodes text for a MANSCDP body. Throws `MANSCDP_UNENCODABLE` when the charset
 * cannot represent the text (e.g. 萳 in GB2312, 𠀀 in GBK) rather than sending '?'.
 */
export function encodeManscdpText(text: string, charset: ManscdpCharset): Buffer {
  if (charset === 'UTF-8') return Buffer.from(text, 'utf8');
  // ASCII is itself in every GB charset (queries, most answers): no table lookup, no round trip.
  if (!NON_ASCII.test(text)) return Buffer.from(text, 'latin1');
  const bytes = iconv.encode(text, ENCODER_NAME[charset]);
  let ok = true;
  if (charset !== 'GB18030') {
    // iconv-lite substitutes '?' for what the table lacks; only then does the round trip differ.
    if (bytes.includes(0x3f) && iconv.decode(bytes, ENCODER_NAME[charset]) !== text) ok = false;
    else if (charset === 'GB2312' && !isStrictGb2312(bytes)) ok = false;
  } else if (/[\uD800-\uDFFF]/.test(text.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''))) {
    ok = false; // lone surrogate
  }
  if (!ok) {
    throw new Gb28181Error('MANSCDP_UNENCODABLE', `text cannot be encoded in ${charset} without loss`);
  }
  return bytes;
}
