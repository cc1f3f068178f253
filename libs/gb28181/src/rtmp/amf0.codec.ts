import { Gb28181Error } from '../errors';

/** Deepest nesting of objects/arrays read from a peer's AMF0. */
export const MAX_AMF0_DEPTH = 8;
/** Most properties or elements in one AMF0 object, ECMA array or strict array. */
export const MAX_AMF0_ITEMS = 256;
/** Most values in one command message (command name, transaction ID, command object, arguments). */
export const MAX_AMF0_VALUES = 32;

export type Amf0Value = number | boolean | string | null | undefined | Date | Amf0Value[] | { [k: string]: Amf0Value };

/**
 * AMF0 type markers (Adobe AMF0 File Format Specification §2.1). Only what RTMP publishers send is read;
 * movieclip, reference, recordset, XML and typed objects are refused (RTMP_BAD_AMF).
 */
const T = { number: 0x00, boolean: 0x01, string: 0x02, object: 0x03, null: 0x05, undefined: 0x06, ecmaArray: 0x08, objectEnd: 0x09, strictArray: 0x0a, date: 0x0b, longString: 0x0c } as const;

function bad(msg: string): never {
  throw new Gb28181Error('RTMP_BAD_AMF', `AMF0: ${msg}`);
}

class Reader {
  pos = 0;
  constructor(private readonly b: Buffer) {}
  need(n: number): void {
    if (this.pos + n > this.b.length) bad(`truncated at byte ${this.pos} (needs ${n} more)`);
  }
  u8(): number {
    this.need(1);
    return this.b[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.b.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.b.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.b.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }
  str(n: number): string {
    this.need(n);
    const s = this.b.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  get done(): boolean {
    return this.pos >= this.b.length;
  }
}

function readValue(r: Reader, depth: number): Amf0Value {
  if (depth > MAX_AMF0_DEPTH) bad(`nested deeper than ${MAX_AMF0_DEPTH}`);
  const t = r.u8();
  switch (t) {
    case T.number:
      return r.f64();
    case T.boolean:
      return r.u8() !== 0;
    case T.string:
      return r.str(r.u16());
    case T.longString:
      return r.str(r.u32());
    case T.null:
      return null;
    case T.undefined:
      return undefined;
    case T.object:
      return readProps(r, depth);
    case T.ecmaArray:
      r.u32(); // the count is a hint only: the properties end with the object-end marker (§2.10)
      return readProps(r, depth);
    case T.strictArray: {
      const n = r.u32();
      if (n > MAX_AMF0_ITEMS) bad(`strict array of ${n} elements (max ${MAX_AMF0_ITEMS})`);
      const out: Amf0Value[] = [];
      for (let i = 0; i < n; i++) out.push(readValue(r, depth + 1));
      return out;
    }
    case T.date: {
      const ms = r.f64();
      r.u16(); // time zone: reserved, "should be 0x0000" (§2.13)
      return new Date(ms);
    }
    default:
      return bad(`type marker 0x${t.toString(16)} is not taken`);
  }
}

function readProps(r: Reader, depth: number): { [k: string]: Amf0Value } {
  const o: { [k: string]: Amf0Value } = Object.create(null) as { [k: string]: Amf0Value };
  for (let i = 0; ; i++) {
    const key = r.str(r.u16());
    if (key === '') {
      if (r.u8() !== T.objectEnd) bad('an empty property name not followed by the object-end marker');
      return o;
    }
    if (i >= MAX_AMF0_ITEMS) bad(`more than ${MAX_AMF0_ITEMS} properties`);
    o[key] = readValue(r, depth + 1);
  }
}

/** All AMF0 values of a command or data message body (at most MAX_AMF0_VALUES). Throws Gb28181Error RTMP_BAD_AMF. */
export function decodeAmf0(body: Buffer): Amf0Value[] {
  const r = new Reader(body);
  const out: Amf0Value[] = [];
  while (!r.done) {
    if (out.length >= MAX_AMF0_VALUES) bad(`more than ${MAX_AMF0_VALUES} values`);
    out.push(readValue(r, 0));
  }
  return out;
}

function writeValue(v: Amf0Value, parts: Buffer[]): void {
  if (typeof v === 'number') {
    const b = Buffer.alloc(9);
    b[0] = T.number;
    b.writeDoubleBE(v, 1);
    parts.push(b);
  } else if (typeof v === 'boolean') {
    parts.push(Buffer.from([T.boolean, v ? 1 : 0]));
  } else if (typeof v === 'string') {
    const s = Buffer.from(v, 'utf8');
    if (s.length > 0xffff) {
      const h = Buffer.alloc(5);
      h[0] = T.longString;
      h.writeUInt32BE(s.length, 1);
      parts.push(h, s);
    } else {
      const h = Buffer.alloc(3);
      h[0] = T.string;
      h.writeUInt16BE(s.length, 1);
      parts.push(h, s);
    }
  } else if (v === null) {
    parts.push(Buffer.from([T.null]));
  } else if (v === undefined) {
    parts.push(Buffer.from([T.undefined]));
  } else if (v instanceof Date) {
    const b = Buffer.alloc(11);
    b[0] = T.date;
    b.writeDoubleBE(v.getTime(), 1);
    parts.push(b);
  } else if (Array.isArray(v)) {
    const h = Buffer.alloc(5);
    h[0] = T.strictArray;
    h.writeUInt32BE(v.length, 1);
    parts.push(h);
    for (const e of v) writeValue(e, parts);
  } else {
    parts.push(Buffer.from([T.object]));
    for (const [k, e] of Object.entries(v)) {
      const key = Buffer.from(k, 'utf8');
      const h = Buffer.alloc(2);
      h.writeUInt16BE(key.length, 0);
      parts.push(h, key);
      writeValue(e, parts);
    }
    parts.push(Buffer.from([0, 0, T.objectEnd]));
  }
}

/** AMF0 bytes of the values, in order (a command: name, transaction ID, command object, arguments). */
export function encodeAmf0(...values: Amf0Value[]): Buffer {
  const parts: Buffer[] = [];
  for (const v of values) writeValue(v, parts);
  return Buffer.concat(parts);
}
