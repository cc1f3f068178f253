/**
 * A small, bounded XML reader for MANSCDP bodies (GB/T 28181-2016 §6.3, Annex A).
 *
 * Why not fast-xml-parser: without its validator it silently accepts truncated and
 * mismatched documents and expands DTD entities by default; its validator in turn
 * rejects `<DeviceList Num=2>` (unquoted attribute), which real devices send. This
 * reader is strict about structure (every tag closed, names match, one root) and
 * lenient about what devices get wrong (unquoted or valueless attributes, a bare `&`).
 *
 * Safety: no DTD (any `<!DOCTYPE`/`<!ENTITY` is refused), only the five predefined
 * entities and numeric character references are decoded, depth and `<Item>` count
 * are bounded while reading, and objects have no prototype (`<__proto__>` is data).
 *
 * Tree shape: an element with neither attributes nor children is its trimmed text;
 * otherwise an object whose keys are child names (a repeated name becomes an array),
 * `@name` for attributes and `#text` for non-blank text beside children.
 */
import { Gb28181Error } from '../errors';

export type XmlValue = string | XmlObject;
export interface XmlObject {
  [key: string]: XmlValue | XmlValue[];
}

export interface XmlReadLimits {
  /** Deepest element nesting allowed; the root is depth 1. */
  maxDepth: number;
  /** Most `<Item>` elements allowed in one document. */
  maxItems: number;
}

/** A name runs to whitespace or one of / > < = " ' ! ? & (lenient on purpose: devices are not XML-pedantic). */
const NAME_RE = /[^ \t\r\n\/><="'!?&]+/y;

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\n' || c === '\r' || c === '\t';
}

function bad(message: string): never {
  throw new Gb28181Error('MANSCDP_BAD_XML', message);
}

const ENTITY_RE = /&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|lt|gt|amp|quot|apos);/g;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes predefined entities and character references; anything else stays literal. */
export function decodeXmlEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(ENTITY_RE, (whole, ref: string) => {
    if (ref[0] !== '#') return PREDEFINED[ref]!;
    const cp = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    if (cp <= 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return whole;
    return String.fromCodePoint(cp);
  });
}

class XmlReader {
  private pos = 0;
  private items = 0;

  constructor(
    private readonly s: string,
    private readonly limits: XmlReadLimits,
  ) {}

  read(): { rootName: string; root: XmlValue } {
    this.skipMisc();
    if (this.pos >= this.s.length) {
      throw new Gb28181Error('MANSCDP_NO_ROOT', 'document has no root element');
    }
    if (this.s[this.pos] !== '<') bad(`text before the root element at ${this.pos}`);
    const { name, value } = this.element(1);
    this.skipMisc();
    // Tolerate trailing NULs some stacks pad bodies with.
    while (this.pos < this.s.length && (this.s[this.pos] === '\0' || isSpace(this.s[this.pos]))) this.pos++;
    if (this.pos < this.s.length) bad(`content after the root element at ${this.pos}`);
    return { rootName: name, root: value };
  }

  /** Whitespace, comments and processing instructions (the prolog included). */
  private skipMisc(): void {
    const s = this.s;
    for (;;) {
      while (this.pos < s.length && isSpace(s[this.pos])) this.pos++;
      if (s.startsWith('<?', this.pos)) this.skipTo('?>', 'processing instruction');
      else if (s.startsWith('<!--', this.pos)) this.skipTo('-->', 'comment');
      else if (s.startsWith('<!', this.pos)) this.markupDeclaration();
      else return;
    }
  }

  private skipTo(end: string, what: string): void {
    const i = this.s.indexOf(end, this.pos + 2);
    if (i < 0) bad(`unterminated ${what}`);
    this.pos = i + end.length;
  }

  private markupDeclaration(): never {
    const head = this.s.slice(this.pos, this.pos + 9).toUpperCase();
    if (head.startsWith('<!DOCTYPE') || head.startsWith('<!ENTITY')) {
      throw new Gb28181Error('MANSCDP_DTD_FORBIDDEN', 'DTDs and entity declarations are not accepted');
    }
    bad(`unexpected markup declaration at ${this.pos}`);
  }

  private name(): string {
    NAME_RE.lastIndex = this.pos;
    const m = NAME_RE.exec(this.s);
    if (m === null) bad(`expected a name at ${this.pos}`);
    this.pos = NAME_RE.lastIndex;
    return m[0];
  }

  private skipSpace(): void {
    while (this.pos < this.s.length && isSpace(this.s[this.pos])) this.pos++;
  }

  private element(depth: number): { name: string; value: XmlValue } {
    const s = this.s;
    if (depth > this.limits.maxDepth) {
      throw new Gb28181Error('MANSCDP_TOO_DEEP', `elements nested deeper than ${this.limits.maxDepth}`);
    }
    this.pos++; // '<'
    const name = this.name();
    if (name === 'Item' && ++this.items > this.limits.maxItems) {
      throw new Gb28181Error('MANSCDP_TOO_MANY_ITEMS', `more than ${this.limits.maxItems} <Item> elements`);
    }
    let obj: XmlObject | null = null;
    // Attributes.
    for (;;) {
      this.skipSpace();
      const c = s[this.pos];
      if (c === undefined) bad(`unterminated start tag <${name}>`);
      if (c === '>') {
        this.pos++;
        break;
      }
      if (c === '/') {
        if (s[this.pos + 1] !== '>') bad(`stray '/' in <${name}>`);
        this.pos += 2;
        return { name, value: obj ?? '' };
      }
      const attr = this.name();
      this.skipSpace();
      let value = '';
      if (s[this.pos] === '=') {
        this.pos++;
        this.skipSpace();
        const q = s[this.pos];
        if (q === '"' || q === "'") {
          const end = s.indexOf(q, this.pos + 1);
          if (end < 0) bad(`unterminated attribute ${attr}`);
          value = s.slice(this.pos + 1, end);
          this.pos = end + 1;
        } else {
          // Unquoted (`Num=2`): devices send it; read to space, '>' or '/>'.
          const start = this.pos;
          while (this.pos < s.length && !isSpace(s[this.pos]) && s[this.pos] !== '>' && !(s[this.pos] === '/' && s[this.pos + 1] === '>')) this.pos++;
          value = s.slice(start, this.pos);
        }
      }
      obj ??= Object.create(null) as XmlObject;
      obj['@' + attr] = decodeXmlEntities(value);
    }
    // Content.
    let text = ''; // decoded text so far
    let raw = ''; // undecoded text since the last CDATA section
    for (;;) {
      const lt = s.indexOf('<', this.pos);
      if (lt < 0) bad(`unterminated element <${name}>`);
      if (lt > this.pos) raw += s.slice(this.pos, lt);
      this.pos = lt;
      const next = s[lt + 1];
      if (next === '/') {
        this.pos += 2;
        const close = this.name();
        this.skipSpace();
        if (s[this.pos] !== '>') bad(`malformed end tag </${close}>`);
        this.pos++;
        if (close !== name) bad(`end tag </${close}> does not match <${name}>`);
        break;
      }
      if (next === '!') {
        if (s.startsWith('<!--', lt)) {
          this.skipTo('-->', 'comment');
        } else if (s.startsWith('<![CDATA[', lt)) {
          const end = s.indexOf(']]>', lt + 9);
          if (end < 0) bad('unterminated CDATA section');
          text += decodeXmlEntities(raw) + s.slice(lt + 9, end);
          raw = '';
          this.pos = end + 3;
        } else {
          this.markupDeclaration();
        }
        continue;
      }
      if (next === '?') {
        this.skipTo('?>', 'processing instruction');
        continue;
      }
      const child = this.element(depth + 1);
      obj ??= Object.create(null) as XmlObject;
      const prev = obj[child.name];
      if (prev === undefined) obj[child.name] = child.value;
      else if (Array.isArray(prev)) prev.push(child.value);
      else obj[child.name] = [prev, child.value];
    }
    const decoded = (text + decodeXmlEntities(raw)).trim();
    if (obj === null) return { name, value: decoded };
    if (decoded !== '') obj['#text'] = decoded;
    return { name, value: obj };
  }
}

/** Reads one XML document into a tree. Throws `Gb28181Error` (MANSCDP_*) on anything malformed. */
export function readXmlTree(text: string, limits: XmlReadLimits): { rootName: string; root: XmlValue } {
  return new XmlReader(text, limits).read();
}
