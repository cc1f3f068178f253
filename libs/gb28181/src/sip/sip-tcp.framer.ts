import { Gb28181Error } from '../errors';

/**
 * Splits a SIP-over-TCP byte stream into messages (RFC 3261 §18.3: Content-Length is mandatory
 * on streams). Bytes in, whole messages out; CRLF keep-alives between messages (RFC 5626 §3.5.1
 * "\r\n\r\n" ping, "\r\n" pong) are skipped.
 *
 * Bytes are appended to one growable buffer (amortised O(1) per byte) and the header-end search
 * resumes where it stopped, so many tiny chunks cost O(n), not O(n^2).
 * After a thrown error the stream is unrecoverable: close the connection (or `reset()`).
 */
export interface SipTcpFramerLimits {
  /** Largest whole message (headers + body), bytes. */
  maxMessageBytes: number;
  /** Largest header section before the empty line, bytes. */
  maxHeaderBytes: number;
}

export const DEFAULT_SIP_TCP_FRAMER_LIMITS: Readonly<SipTcpFramerLimits> = Object.freeze({
  maxMessageBytes: 262144,
  maxHeaderBytes: 65536,
});

const CONTENT_LENGTH_RE = /^(?:content-length|l)[ \t]*:[ \t]*(.*?)[ \t]*$/gim;

export class SipTcpFramer {
  private readonly limits: SipTcpFramerLimits;
  private buf: Buffer = Buffer.alloc(0);
  private start = 0;
  private end = 0;
  /** Where the next header-end search starts (absolute index into buf). */
  private scan = 0;
  /** Total length of the message being collected once its headers are known, else -1. */
  private need = -1;

  constructor(limits?: { maxMessageBytes?: number; maxHeaderBytes?: number }) {
    this.limits = { ...DEFAULT_SIP_TCP_FRAMER_LIMITS, ...limits };
  }

  get bufferedBytes(): number {
    return this.end - this.start;
  }

  reset(): void {
    this.buf = Buffer.alloc(0);
    this.start = this.end = this.scan = 0;
    this.need = -1;
  }

  push(chunk: Buffer): Buffer[] {
    this.append(chunk);
    const out: Buffer[] = [];
    for (;;) {
      if (this.need < 0) {
        // skip keep-alive CR/LF between messages
        while (this.start < this.end && (this.buf[this.start] === 13 || this.buf[this.start] === 10)) this.start++;
        if (this.scan < this.start) this.scan = this.start;
        if (this.start === this.end) break;
        const headerLen = this.findHeaderEnd();
        if (headerLen < 0) {
          if (this.end - this.start > this.limits.maxHeaderBytes) {
            throw new Gb28181Error('SIP_FRAME_TOO_LARGE', `header section exceeds ${this.limits.maxHeaderBytes} bytes`);
          }
          break;
        }
        const cl = this.contentLength(this.start, this.start + headerLen);
        this.need = headerLen + cl;
        if (this.need > this.limits.maxMessageBytes) {
          throw new Gb28181Error('SIP_FRAME_TOO_LARGE', `message of ${this.need} bytes exceeds ${this.limits.maxMessageBytes}`);
        }
      }
      if (this.end - this.start < this.need) break;
      out.push(Buffer.from(this.buf.subarray(this.start, this.start + this.need)));
      this.start += this.need;
      this.scan = this.start;
      this.need = -1;
    }
    if (this.start === this.end) this.start = this.end = this.scan = 0;
    return out;
  }

  private append(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.end + chunk.length > this.buf.length) {
      const live = this.end - this.start;
      const next =
        live + chunk.length <= this.buf.length ? this.buf : Buffer.allocUnsafe(Math.max(2 * (live + chunk.length), 4096));
      this.buf.copy(next, 0, this.start, this.end);
      this.scan -= this.start;
      this.start = 0;
      this.end = live;
      this.buf = next;
    }
    chunk.copy(this.buf, this.end);
    this.end += chunk.length;
  }

  /** Length of start line + headers + empty line, or -1 if the empty line has not arrived. */
  private findHeaderEnd(): number {
    let i = Math.max(this.scan, this.start);
    for (;;) {
      const lf = this.buf.indexOf(10, i);
      if (lf < 0 || lf >= this.end) {
        this.scan = Math.max(this.start, this.end - 2);
        return -1;
      }
      if (lf + 1 >= this.end || (this.buf[lf + 1] === 13 && lf + 2 >= this.end)) {
        this.scan = lf;
        return -1;
      }
      if (this.buf[lf + 1] === 10) return lf + 2 - this.start;
      if (this.buf[lf + 1] === 13 && this.buf[lf + 2] === 10) return lf + 3 - this.start;
      i = lf + 1;
    }
  }

  private contentLength(from: number, to: number): number {
    const head = this.buf.toString('latin1', from, to).replace(/\r/g, '').replace(/\n[ \t]+/g, ' ');
    let value: number | undefined;
    CONTENT_LENGTH_RE.lastIndex = 0;
    for (let m = CONTENT_LENGTH_RE.exec(head); m; m = CONTENT_LENGTH_RE.exec(head)) {
      const t = m[1]!;
      if (!/^\d{1,10}$/.test(t)) throw new Gb28181Error('SIP_BAD_FRAME', `bad Content-Length "${t.slice(0, 32)}"`);
      const n = Number(t);
      if (value !== undefined && value !== n) throw new Gb28181Error('SIP_BAD_FRAME', 'conflicting Content-Length headers');
      value = n;
    }
    if (value === undefined) throw new Gb28181Error('SIP_FRAME_NO_CONTENT_LENGTH', 'stream message without Content-Length');
    return value;
  }
}
