/**
 * HTTP-FLV / WS-FLV distribution of one stream: parses the FLV byte stream ffmpeg writes (Adobe FLV spec v10 §E),
 * keeps what a late joiner needs to start at once (file header, onMetaData, AVC/AAC sequence headers, the current GOP)
 * and copies every tag to each subscriber. A subscriber whose backlog passes a bound is dropped (its connection destroyed,
 * its queue freed), never buffered without end.
 *
 *   FLV header: 'F' 'L' 'V' ver(1) flags(1) offset(4) | prevTagSize0(4)
 *   tag: type(1) dataSize(3) ts(3) tsExt(1) streamId(3) | data(dataSize) | prevTagSize(4)
 */
export interface FlvSink {
  write(chunk: Buffer): void;
  /** Bytes queued but not yet sent. */
  readonly backlog: number;
  /** The stream ended: finish sending what is queued, then end. */
  close(): void;
  /**
   * The viewer fell behind past FLV_MAX_SINK_BACKLOG: drop the connection now and free what is queued (an end()ed
   * socket would keep its send queue until the client leaves). Sinks without it are close()d instead.
   */
  destroy?(): void;
}

/** What can reset a TCP connection (net.Socket.resetAndDestroy: SO_LINGER 0, the kernel drops its send queue and sends RST). */
interface Resettable {
  resetAndDestroy?(): unknown;
}

/** The writable side of a viewer's connection (an HTTP response, a socket, a WebSocket stream). */
export interface FlvWritable extends Resettable {
  write(chunk: Buffer): unknown;
  readonly writableLength: number;
  end(): unknown;
  destroy(): unknown;
  /** An HTTP response's connection. */
  readonly socket?: Resettable | null;
}

/**
 * A sink on a writable stream: backlog = its queued bytes, close() ends it gracefully, destroy() resets the TCP
 * connection (the kernel's send queue, megabytes for a stalled reader, goes too) and destroys the stream.
 */
export function writableFlvSink(w: FlvWritable): FlvSink {
  return {
    write: (b) => void w.write(b),
    get backlog() {
      return w.writableLength;
    },
    close: () => void w.end(),
    destroy: () => {
      const tcp = typeof w.resetAndDestroy === 'function' ? w : w.socket;
      if (typeof tcp?.resetAndDestroy === 'function') tcp.resetAndDestroy();
      w.destroy();
    },
  };
}

export const FLV_MAX_TAG_BYTES = 16 * 1024 * 1024;
export const FLV_MAX_GOP_BYTES = 32 * 1024 * 1024;
export const FLV_MAX_SINK_BACKLOG = 4 * 1024 * 1024;

const TAG_AUDIO = 8;
const TAG_VIDEO = 9;
const TAG_SCRIPT = 18;

export class FlvFanout {
  private buf: Buffer = Buffer.alloc(0);
  private header: Buffer | null = null;
  private metadata: Buffer | null = null;
  private videoConfig: Buffer | null = null;
  private audioConfig: Buffer | null = null;
  private gop: Buffer[] = [];
  private gopBytes = 0;
  private readonly sinks = new Set<FlvSink>();
  private firstTagListeners: (() => void)[] = [];
  /**
   * Called by subscribe() before anything is written to the new sink: a producer that muxes FLV only while someone
   * watches (MediaSession) catches up here, pushing the tags of the current GOP, so the sink starts at a keyframe.
   */
  onSubscribe: (() => void) | null = null;
  firstVideoAt: number | null = null;
  /** Viewers dropped for passing FLV_MAX_SINK_BACKLOG. */
  dropped = 0;
  private broken = false;

  get subscribers(): number {
    return this.sinks.size;
  }

  /** Bytes queued to the current viewers and not yet sent (each at most FLV_MAX_SINK_BACKLOG plus one tag). */
  get queuedBytes(): number {
    let n = 0;
    for (const s of this.sinks) n += s.backlog;
    return n;
  }

  /** Resolves when the first video tag has arrived (what a player needs to show a picture). */
  ready(): Promise<void> {
    if (this.firstVideoAt !== null) return Promise.resolve();
    return new Promise((r) => this.firstTagListeners.push(r));
  }

  /** In-process muxer output: the file header, whole, before any tag (no byte-stream parsing needed). */
  pushHeader(header: Buffer): void {
    if (this.header) return;
    this.header = header;
    for (const s of this.sinks) s.write(header);
  }

  /** In-process muxer output: one whole tag (header + data + PreviousTagSize). */
  pushTag(tag: Buffer): void {
    if (this.broken || !this.header) return;
    this.onTag(tag);
  }

  /** A byte stream of FLV (e.g. from an external muxer), in arbitrary chunks. */
  push(chunk: Buffer): void {
    if (this.broken) return;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let off = 0;
    if (!this.header) {
      if (this.buf.length < 13) return;
      if (this.buf.toString('latin1', 0, 3) !== 'FLV') {
        this.broken = true;
        return;
      }
      const dataOffset = this.buf.readUInt32BE(5);
      if (this.buf.length < dataOffset + 4) return;
      this.header = Buffer.from(this.buf.subarray(0, dataOffset + 4));
      off = dataOffset + 4;
      // Viewers who joined before the first bytes get the file header now, ahead of every tag.
      for (const s of this.sinks) s.write(this.header);
    }
    while (this.buf.length - off >= 11) {
      const size = this.buf.readUIntBE(off + 1, 3);
      if (size > FLV_MAX_TAG_BYTES) {
        this.broken = true;
        return;
      }
      const total = 11 + size + 4;
      if (this.buf.length - off < total) break;
      this.onTag(Buffer.from(this.buf.subarray(off, off + total)));
      off += total;
    }
    this.buf = off === this.buf.length ? Buffer.alloc(0) : Buffer.from(this.buf.subarray(off));
  }

  /** A producer that muxes lazily: a video frame arrived (ready() resolves) though no tag may be made for it. */
  noteVideo(): void {
    if (this.firstVideoAt !== null) return;
    this.firstVideoAt = Date.now();
    for (const l of this.firstTagListeners.splice(0)) l();
  }

  /** A producer that muxes lazily stopped (nobody watches): forget the tags kept for late joiners; the next priming replaces them. */
  dropCached(): void {
    this.gop = [];
    this.gopBytes = 0;
    this.videoConfig = null;
    this.audioConfig = null;
  }

  private onTag(tag: Buffer): void {
    const type = tag[0]! & 0x1f;
    const first = tag[11] ?? 0;
    if (type === TAG_SCRIPT) {
      this.metadata = tag;
      return this.broadcast(tag);
    }
    if (type === TAG_VIDEO) {
      const keyframe = first >> 4 === 1;
      const codecId = first & 0x0f;
      const isConfig = (codecId === 7 || codecId === 12) && tag[12] === 0;
      if (isConfig) {
        this.videoConfig = tag;
        return this.broadcast(tag);
      }
      if (keyframe) {
        this.gop = [];
        this.gopBytes = 0;
      }
      this.noteVideo();
    } else if (type === TAG_AUDIO) {
      if (first >> 4 === 10 && tag[12] === 0) {
        this.audioConfig = tag;
        return this.broadcast(tag);
      }
    }
    if (this.gopBytes + tag.length <= FLV_MAX_GOP_BYTES) {
      this.gop.push(tag);
      this.gopBytes += tag.length;
    }
    this.broadcast(tag);
  }

  private broadcast(tag: Buffer): void {
    for (const s of this.sinks) {
      if (s.backlog > FLV_MAX_SINK_BACKLOG) {
        this.drop(s);
        continue;
      }
      s.write(tag);
    }
  }

  /** A viewer past the backlog bound: out of the fan-out, its connection destroyed so its queue is freed now. */
  private drop(s: FlvSink): void {
    this.sinks.delete(s);
    this.dropped++;
    if (s.destroy) s.destroy();
    else s.close();
  }

  /** Adds a viewer; it gets the header, configs and the current GOP first, so the picture starts at a keyframe. */
  subscribe(sink: FlvSink): () => void {
    this.onSubscribe?.();
    if (this.header) sink.write(this.header);
    for (const t of [this.metadata, this.videoConfig, this.audioConfig]) if (t) sink.write(t);
    for (const t of this.gop) sink.write(t);
    this.sinks.add(sink);
    return () => {
      this.sinks.delete(sink);
    };
  }

  close(): void {
    for (const s of this.sinks) s.close();
    this.sinks.clear();
    this.gop = [];
  }
}
