import { Gb28181Error } from '../errors';
import { decodeAmf0, encodeAmf0, type Amf0Value } from './amf0.codec';
import { RTMP_DEFAULT_CHUNK_SIZE, RtmpChunkReader, type RtmpMessage } from './rtmp-chunk.reader';
import { writeRtmpChunks } from './rtmp-chunk.writer';
import { FlvVideoReader, type FlvVideoUnit } from './flv-video.reader';
import { FlvAudioReader, type FlvAudioCodec, type FlvAudioFrame } from './flv-audio.reader';

/** RTMP 1.0 §5.2: C1/S1/C2/S2 are 1536 bytes; C0/S0 one byte, version 3. */
export const RTMP_HANDSHAKE_BYTES = 1536;
export const RTMP_VERSION = 3;
/** Largest command (AMF0/AMF3 command or data message) taken from a publisher. */
export const MAX_RTMP_COMMAND_BYTES = 64 * 1024;
/** Most createStream calls on one connection (a publisher needs one). */
export const MAX_RTMP_STREAMS_PER_CONNECTION = 4;
/** Most characters of the app and publish names (with their query). */
export const MAX_RTMP_NAME_CHARS = 1024;
/** The chunk size we send with (Set Chunk Size after connect). */
export const RTMP_OUT_CHUNK_SIZE = 4096;
/** Window Acknowledgement Size and peer bandwidth we announce. */
export const RTMP_WINDOW_BYTES = 5_000_000;

/** What a publisher did, in order. */
export type RtmpPublishEvent =
  | { kind: 'connect'; app: string; tcUrl: string | null }
  /** publish(name): `name` without its query, `query` the `?a=b&…` pairs (stream keys travel there). Answer with accept() or reject(). */
  | { kind: 'publish'; app: string; name: string; query: Record<string, string> }
  | { kind: 'video'; unit: FlvVideoUnit }
  /** An audio frame (AAC as ADTS, G.711 as is), or an audio tag of a format that is not carried (`dropped` says why). */
  | { kind: 'audio'; frame: FlvAudioFrame }
  | { kind: 'audioDropped'; reason: string }
  /**
   * The publisher announced its audio before any frame: an AAC sequence header, or `onMetaData` with `audiocodecid`
   * 10 (AAC), 7 (G.711 A-law) or 8 (µ-law). Lets the first keyframe's PSM declare audio whose frames come after it.
   */
  | { kind: 'audioAnnounced'; codec: FlvAudioCodec }
  /** FCUnpublish, deleteStream or closeStream: the publisher stops (the connection may stay). */
  | { kind: 'unpublish' };

export interface RtmpPublishSessionOptions {
  /** Writes bytes to the publisher. */
  send: (b: Buffer) => void;
  /** 1528 random bytes for S1 (the caller's randomness: this code has none). */
  random: Buffer;
}

type Phase = 'c0c1' | 'c2' | 'chunks';

/**
 * The server side of one RTMP connection that publishes (RTMP 1.0 §5.2 handshake, §5.3 chunks, §7.2 commands):
 * bytes in, events out, replies through `send`. Answers connect, releaseStream, FCPublish, createStream; publish is
 * handed to the caller (accept()/reject(): the key check is the application's), then video messages come out as Annex
 * B access units (FlvVideoReader) and audio messages as AAC (ADTS) or G.711 frames (FlvAudioReader). Metadata is dropped.
 * Hostile input throws Gb28181Error (RTMP_BAD_HANDSHAKE, RTMP_BAD_CHUNK, RTMP_MESSAGE_TOO_LARGE, RTMP_BAD_AMF,
 * RTMP_BAD_COMMAND, RTMP_BAD_VIDEO, RTMP_BAD_AUDIO, ...): the caller closes the connection. The simple handshake is used (S2 echoes
 * C1); ffmpeg, OBS (librtmp) and GStreamer accept it when publishing.
 */
export class RtmpPublishSession {
  private phase: Phase = 'c0c1';
  private hs: Buffer = Buffer.alloc(0);
  private readonly chunks = new RtmpChunkReader();
  private readonly video = new FlvVideoReader();
  private readonly audio = new FlvAudioReader();
  private app = '';
  private streams = 0;
  private publishing: 'no' | 'asked' | 'yes' | 'refused' = 'no';
  private publishStreamId = 1;
  private received = 0;
  private ackWindow = 0;
  private lastAck = 0;
  /** Our chunk size: the default until connect's Set Chunk Size. */
  private outChunkSize: number = RTMP_DEFAULT_CHUNK_SIZE;

  constructor(private readonly o: RtmpPublishSessionOptions) {}

  get isPublishing(): boolean {
    return this.publishing === 'yes';
  }

  /** Bytes held for an incomplete handshake or chunk. */
  get buffered(): number {
    return this.hs.length + this.chunks.buffered;
  }

  push(data: Buffer): RtmpPublishEvent[] {
    const out: RtmpPublishEvent[] = [];
    this.received += data.length;
    if (this.phase !== 'chunks') {
      this.hs = this.hs.length ? Buffer.concat([this.hs, data]) : data;
      if (this.phase === 'c0c1') {
        if (this.hs.length < 1 + RTMP_HANDSHAKE_BYTES) return out;
        if (this.hs[0] !== RTMP_VERSION) throw new Gb28181Error('RTMP_BAD_HANDSHAKE', `C0 version ${this.hs[0]} (only ${RTMP_VERSION}, plain RTMP)`);
        const c1 = this.hs.subarray(1, 1 + RTMP_HANDSHAKE_BYTES);
        const s1 = Buffer.alloc(RTMP_HANDSHAKE_BYTES); // time 0, zero 0 (simple handshake), random
        this.o.random.copy(s1, 8, 0, RTMP_HANDSHAKE_BYTES - 8);
        this.o.send(Buffer.concat([Buffer.from([RTMP_VERSION]), s1, c1]));
        this.hs = this.hs.subarray(1 + RTMP_HANDSHAKE_BYTES);
        this.phase = 'c2';
      }
      if (this.phase === 'c2') {
        if (this.hs.length < RTMP_HANDSHAKE_BYTES) {
          this.hs = Buffer.from(this.hs);
          return out;
        }
        data = this.hs.subarray(RTMP_HANDSHAKE_BYTES); // C2 (an echo of S1) is not checked: its content proves nothing
        this.hs = Buffer.alloc(0);
        this.phase = 'chunks';
        if (!data.length) return out;
      }
    }
    for (const m of this.chunks.push(data)) this.onMessage(m, out);
    if (this.ackWindow && this.received - this.lastAck >= this.ackWindow) {
      this.lastAck = this.received;
      const b = Buffer.alloc(4);
      b.writeUInt32BE(this.received >>> 0, 0);
      this.sendMsg(2, 3, 0, b); // Acknowledgement (§5.4.3)
    }
    return out;
  }

  /** The publish is taken: NetStream.Publish.Start; video messages come out from now on. */
  accept(): void {
    if (this.publishing !== 'asked') return;
    this.publishing = 'yes';
    const begin = Buffer.alloc(6); // User Control Stream Begin (§7.1.7)
    begin.writeUInt32BE(this.publishStreamId, 2);
    this.sendMsg(2, 4, 0, begin);
    this.onStatus('status', 'NetStream.Publish.Start', 'publishing');
  }

  /** The publish is refused (the caller then closes the connection): onStatus error with `code`. */
  reject(code: string, description: string): void {
    if (this.publishing !== 'asked') return;
    this.publishing = 'refused';
    this.onStatus('error', code, description);
  }

  private onMessage(m: RtmpMessage, out: RtmpPublishEvent[]): void {
    switch (m.type) {
      case 5: // Window Acknowledgement Size (§5.4.4)
        if (m.payload.length >= 4) this.ackWindow = m.payload.readUInt32BE(0);
        return;
      case 9:
        if (this.publishing !== 'yes') return;
        {
          const unit = this.video.push(m.payload, m.timestamp);
          if (unit) out.push({ kind: 'video', unit });
        }
        return;
      case 8:
        if (this.publishing !== 'yes') return;
        {
          const r = this.audio.push(m.payload, m.timestamp);
          if (r.kind === 'frame') out.push({ kind: 'audio', frame: r.frame });
          else if (r.kind === 'dropped') out.push({ kind: 'audioDropped', reason: r.reason });
          else out.push({ kind: 'audioAnnounced', codec: 'aac' });
        }
        return;
      case 20:
      case 17: {
        if (m.payload.length > MAX_RTMP_COMMAND_BYTES) throw new Gb28181Error('RTMP_MESSAGE_TOO_LARGE', `a ${m.payload.length}-byte command (max ${MAX_RTMP_COMMAND_BYTES})`);
        // AMF3 command (17): a format byte (0) then AMF0 values (§7.1.1; publishers never switch to AMF3 here).
        const body = m.type === 17 ? m.payload.subarray(1) : m.payload;
        this.onCommand(decodeAmf0(body), m.streamId, out);
        return;
      }
      case 18:
      case 15: {
        if (m.payload.length > MAX_RTMP_COMMAND_BYTES) throw new Gb28181Error('RTMP_MESSAGE_TOO_LARGE', `a ${m.payload.length}-byte data message (max ${MAX_RTMP_COMMAND_BYTES})`);
        if (this.publishing !== 'yes') return;
        let codec: FlvAudioCodec | undefined;
        try {
          codec = metadataAudioCodec(decodeAmf0(m.type === 15 ? m.payload.subarray(1) : m.payload));
        } catch {
          return; // metadata is informative: one we cannot read is ignored, as before
        }
        if (codec) out.push({ kind: 'audioAnnounced', codec });
        return;
      }
      default: // 1, 2 (applied by the chunk reader), 3, 4, 6, aggregate 22: nothing to do
    }
  }

  private onCommand(v: Amf0Value[], streamId: number, out: RtmpPublishEvent[]): void {
    const [name, tx] = v;
    if (typeof name !== 'string') throw new Gb28181Error('RTMP_BAD_COMMAND', 'a command without its name');
    const txId = typeof tx === 'number' ? tx : 0;
    switch (name) {
      case 'connect': {
        const obj = v[2];
        const o = obj && typeof obj === 'object' && !Array.isArray(obj) && !(obj instanceof Date) ? obj : {};
        const app = typeof o.app === 'string' ? o.app : '';
        const tcUrl = typeof o.tcUrl === 'string' ? o.tcUrl : null;
        if (app.length > MAX_RTMP_NAME_CHARS || (tcUrl?.length ?? 0) > MAX_RTMP_NAME_CHARS) throw new Gb28181Error('RTMP_BAD_COMMAND', `app or tcUrl longer than ${MAX_RTMP_NAME_CHARS} characters`);
        this.app = app;
        const win = Buffer.alloc(4);
        win.writeUInt32BE(RTMP_WINDOW_BYTES, 0);
        this.sendMsg(2, 5, 0, win);
        const bw = Buffer.alloc(5);
        bw.writeUInt32BE(RTMP_WINDOW_BYTES, 0);
        bw[4] = 2; // dynamic
        this.sendMsg(2, 6, 0, bw);
        const cs = Buffer.alloc(4);
        cs.writeUInt32BE(RTMP_OUT_CHUNK_SIZE, 0);
        this.sendMsg(2, 1, 0, cs);
        this.outChunkSize = RTMP_OUT_CHUNK_SIZE;
        this.command(0, '_result', txId, { fmsVer: 'FMS/3,0,1,123', capabilities: 31 }, { level: 'status', code: 'NetConnection.Connect.Success', description: 'Connection succeeded.', objectEncoding: 0 });
        out.push({ kind: 'connect', app, tcUrl });
        return;
      }
      case 'releaseStream':
      case 'FCPublish':
        if (txId) this.command(0, '_result', txId, null, undefined);
        return;
      case 'createStream':
        if (++this.streams > MAX_RTMP_STREAMS_PER_CONNECTION) throw new Gb28181Error('RTMP_BAD_COMMAND', `more than ${MAX_RTMP_STREAMS_PER_CONNECTION} createStream calls`);
        this.command(0, '_result', txId, null, this.streams);
        return;
      case 'publish': {
        if (this.publishing !== 'no') throw new Gb28181Error('RTMP_BAD_COMMAND', 'a second publish on one connection');
        const full = v[3];
        if (typeof full !== 'string' || !full || full.length > MAX_RTMP_NAME_CHARS) throw new Gb28181Error('RTMP_BAD_COMMAND', 'publish without a stream name (or one too long)');
        this.publishing = 'asked';
        this.publishStreamId = streamId || 1;
        const q = full.indexOf('?');
        const query: Record<string, string> = Object.create(null) as Record<string, string>;
        if (q >= 0) for (const [k, val] of new URLSearchParams(full.slice(q + 1))) query[k] = val;
        out.push({ kind: 'publish', app: this.app, name: q >= 0 ? full.slice(0, q) : full, query });
        return;
      }
      case 'FCUnpublish':
      case 'deleteStream':
      case 'closeStream':
        if (this.publishing === 'yes') {
          this.publishing = 'no';
          out.push({ kind: 'unpublish' });
        }
        return;
      default: // play, getStreamLength, _checkbw, ...: a publisher-only server ignores them
        return;
    }
  }

  private command(streamId: number, ...values: Amf0Value[]): void {
    this.sendMsg(3, 20, streamId, encodeAmf0(...values));
  }

  private onStatus(level: 'status' | 'error', code: string, description: string): void {
    this.sendMsg(5, 20, this.publishStreamId, encodeAmf0('onStatus', 0, null, { level, code, description }));
  }

  private sendMsg(csid: number, type: number, streamId: number, payload: Buffer): void {
    this.o.send(writeRtmpChunks({ csid, type, streamId, timestamp: 0, payload }, this.outChunkSize));
  }
}

/** FLV SoundFormat values of onMetaData's `audiocodecid` (FLV spec v10.1 §E.5) that are carried. */
const METADATA_AUDIO: Readonly<Record<number, FlvAudioCodec>> = { 10: 'aac', 7: 'g711a', 8: 'g711u' };

/** `@setDataFrame`/`onMetaData` {audiocodecid}: the announced audio codec, if one that is carried. */
function metadataAudioCodec(v: Amf0Value[]): FlvAudioCodec | undefined {
  const i = v.indexOf('onMetaData');
  const o = i >= 0 ? v[i + 1] : undefined;
  if (!o || typeof o !== 'object' || o instanceof Date) return undefined;
  const props = Array.isArray(o) ? undefined : o;
  const id = props?.audiocodecid;
  return typeof id === 'number' ? METADATA_AUDIO[id] : undefined;
}
