/** Player-side probes: when does a viewer get its first picture over HTTP-FLV, and its first HLS segment. */

const FLV_TAG_VIDEO = 9;
const FLV_CODEC_AVC = 7;
const AVC_NALU = 1;

/**
 * Reads an HTTP-FLV response until the first video tag that carries a picture (AVC NALU, not the sequence header)
 * and resolves with performance.now() at that moment. Aborts the request afterwards.
 * Tolerates a response that starts with tags (no file header) and says so.
 *
 *   FLV header(9) prevTagSize0(4) | tag: type(1) size(3) ts(3) tsExt(1) streamId(3) data(size) prevTagSize(4)
 */
export interface FlvPicture {
  at: number;
  /** The response began with tags instead of the 'FLV' file header (a player would reject it). */
  headerMissing: boolean;
}

export async function firstFlvPicture(url: string, timeoutMs: number): Promise<FlvPicture> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error(`no FLV video tag within ${timeoutMs} ms`)), timeoutMs);
  try {
    const res = await fetch(url, { signal: ac.signal });
    if (res.status !== 200 || !res.body) throw new Error(`FLV ${url}: status ${res.status}`);
    const reader = new FlvPictureReader();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      const headerMissing = reader.push(chunk);
      if (headerMissing !== null) return { at: performance.now(), headerMissing };
    }
    throw new Error('FLV response ended before a video tag');
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
}

/** Feeds FLV bytes; push() returns null until the first picture tag, then whether the file header was missing. */
class FlvPictureReader {
  private buf = Buffer.alloc(0);
  private off = -1;
  private headerMissing = false;

  push(chunk: Uint8Array): boolean | null {
    this.buf = Buffer.concat([this.buf, chunk]);
    const buf = this.buf;
    if (this.off < 0) {
      if (buf.length < 3) return null;
      this.headerMissing = buf.toString('latin1', 0, 3) !== 'FLV';
      if (this.headerMissing && buf[0] !== 8 && buf[0] !== 9 && buf[0] !== 18) throw new Error(`FLV stream starts with neither a header nor a tag: ${buf.subarray(0, 16).toString('hex')}`);
      this.off = this.headerMissing ? 0 : 13;
    }
    while (buf.length >= this.off + 11) {
      const size = buf.readUIntBE(this.off + 1, 3);
      if (buf.length < this.off + 11 + size) break;
      const type = buf[this.off]! & 0x1f;
      if (type === FLV_TAG_VIDEO && size >= 2 && (buf[this.off + 11]! & 0x0f) === FLV_CODEC_AVC && buf[this.off + 12] === AVC_NALU) return this.headerMissing;
      this.off += 11 + size + 4;
    }
    return null;
  }
}

/** The same over WS-FLV (the wsFlv URL: one binary message per chunk of FLV, mpegts.js's transport). */
export async function firstWsFlvPicture(url: string, timeoutMs: number): Promise<FlvPicture> {
  const { WebSocket } = await import('ws');
  return new Promise<FlvPicture>((resolve, reject) => {
    const ws = new WebSocket(url);
    const reader = new FlvPictureReader();
    const done = (e: Error | null, v?: FlvPicture) => {
      clearTimeout(timer);
      ws.terminate();
      if (e) reject(e);
      else resolve(v!);
    };
    const timer = setTimeout(() => done(new Error(`no WS-FLV video tag within ${timeoutMs} ms`)), timeoutMs);
    ws.on('message', (data: Buffer) => {
      try {
        const headerMissing = reader.push(data);
        if (headerMissing !== null) done(null, { at: performance.now(), headerMissing });
      } catch (e) {
        done(e as Error);
      }
    });
    ws.on('error', (e) => done(e));
    ws.on('close', (code, reason) => done(new Error(`WS-FLV closed before a video tag: ${code} ${reason.toString()}`)));
  });
}

/** Polls an HLS playlist until it lists a media segment; resolves with performance.now() when it first does. */
export async function firstHlsSegment(url: string, timeoutMs: number, everyMs = 20): Promise<number> {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    const res = await fetch(url);
    const text = await res.text();
    if (res.status === 200 && text.split('\n').some((l) => l.trim() !== '' && !l.startsWith('#'))) return performance.now();
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`HLS playlist ${url} listed no segment within ${timeoutMs} ms`);
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
