import { Gb28181Error } from '../errors';

/**
 * When to cut HLS segments and what the live playlist says (RFC 8216 §4.3), for a muxer that writes the bytes itself.
 * Pure: video timestamps (90 kHz) and keyframe flags in, decisions and playlist text out; no files, no clock.
 *
 *   A segment starts at a keyframe and is cut at the first keyframe at least `targetDurationS` after its start.
 *   The playlist lists the last `windowSize` finished segments (a sliding window): EXT-X-MEDIA-SEQUENCE is the
 *   sequence number of its first one; EXT-X-TARGETDURATION is the longest EXTINF rounded up (§4.3.3.1).
 */
export interface HlsSegmenterOptions {
  /** Wanted segment length in seconds (a segment is cut at the first keyframe after it). */
  targetDurationS: number;
  /** Finished segments kept in the playlist. */
  windowSize: number;
  /** Adds #EXT-X-INDEPENDENT-SEGMENTS (every segment starts with a keyframe). Default true. */
  independentSegments?: boolean;
  /** URI of segment `sequence` in the playlist; default seg_%05d.ts. */
  segmentUri?: (sequence: number) => string;
}

export interface HlsSegment {
  sequence: number;
  uri: string;
  durationS: number;
}

export interface HlsSegmenterStep {
  /** Whether this frame belongs in the output (false before the first keyframe). */
  accept: boolean;
  /** This frame starts a new segment (its sequence number); write the stream tables first. */
  opened: number | null;
  /** The segment finished by this frame, now in the playlist. */
  closed: HlsSegment | null;
  /** Segments that fell out of the window (delete their files). */
  evicted: HlsSegment[];
}

/** Most segments a window may keep: a bound on playlist size (and files on disk). */
export const HLS_MAX_WINDOW = 1000;
/** A gap between frames bigger than this (90 kHz; backwards or ahead) is a timestamp jump: the segment is cut there. */
export const HLS_MAX_TIMESTAMP_JUMP_90K = 10 * 90_000;

export function hlsSegmentUri(sequence: number): string {
  return `seg_${String(sequence).padStart(5, '0')}.ts`;
}

export class HlsSegmenter {
  private readonly segments: HlsSegment[] = [];
  private current: { sequence: number; startPts: number; lastPts: number; lastStep: number } | null = null;
  private nextSequence = 0;
  private maxDurationS = 0;

  constructor(private readonly opts: HlsSegmenterOptions) {
    if (!(opts.targetDurationS > 0) || !Number.isFinite(opts.targetDurationS)) throw new Gb28181Error('HLS_BAD_OPTIONS', `target duration ${opts.targetDurationS} must be a positive number`);
    if (!Number.isInteger(opts.windowSize) || opts.windowSize < 1 || opts.windowSize > HLS_MAX_WINDOW) throw new Gb28181Error('HLS_BAD_OPTIONS', `window size ${opts.windowSize} must be an integer in 1..${HLS_MAX_WINDOW}`);
  }

  /** Sequence number of the segment being written, or null before the first keyframe. */
  get currentSequence(): number | null {
    return this.current?.sequence ?? null;
  }

  /** The finished segments in the window, oldest first. */
  get window(): readonly HlsSegment[] {
    return this.segments;
  }

  /** Feeds one video frame's presentation time (90 kHz) and whether it is a keyframe. */
  push(pts90k: number, keyframe: boolean): HlsSegmenterStep {
    if (!Number.isFinite(pts90k)) throw new Gb28181Error('HLS_BAD_TIMESTAMP', `timestamp ${pts90k} is not a finite number`);
    const cur = this.current;
    if (!cur) {
      if (!keyframe) return { accept: false, opened: null, closed: null, evicted: [] };
      return { accept: true, opened: this.open(pts90k), closed: null, evicted: [] };
    }
    const delta = pts90k - cur.lastPts;
    const jumped = delta < -HLS_MAX_TIMESTAMP_JUMP_90K || delta > HLS_MAX_TIMESTAMP_JUMP_90K;
    if (!jumped && delta > 0) cur.lastStep = delta;
    if (keyframe && (jumped || pts90k - cur.startPts >= this.opts.targetDurationS * 90_000)) {
      // After a jump the old timeline cannot measure the segment: count up to the last frame plus one frame interval.
      const end = jumped ? cur.lastPts + cur.lastStep : pts90k;
      const closed = this.finish(cur, end);
      const evicted = this.segments.length > this.opts.windowSize ? this.segments.splice(0, this.segments.length - this.opts.windowSize) : [];
      return { accept: true, opened: this.open(pts90k), closed, evicted };
    }
    if (!jumped && pts90k > cur.lastPts) cur.lastPts = pts90k;
    else if (jumped) {
      // A jump inside a GOP: keep measuring from here as if the timeline had continued.
      cur.startPts += delta - cur.lastStep;
      cur.lastPts = pts90k;
    }
    return { accept: true, opened: null, closed: null, evicted: [] };
  }

  /**
   * The live playlist (no EXT-X-ENDLIST), or null while no segment is finished. EXTINF has millisecond precision;
   * version 3 allows decimal durations (§4.3.2.1).
   */
  playlist(): string | null {
    if (this.segments.length === 0) return null;
    const lines = [
      '#EXTM3U',
      '#EXT-X-VERSION:3',
      `#EXT-X-TARGETDURATION:${Math.max(1, Math.ceil(this.maxDurationS - 1e-9))}`,
      `#EXT-X-MEDIA-SEQUENCE:${this.segments[0]!.sequence}`,
      ...(this.opts.independentSegments === false ? [] : ['#EXT-X-INDEPENDENT-SEGMENTS']),
    ];
    for (const s of this.segments) lines.push(`#EXTINF:${s.durationS.toFixed(3)},`, s.uri);
    return lines.join('\n') + '\n';
  }

  private open(pts90k: number): number {
    const sequence = this.nextSequence++;
    this.current = { sequence, startPts: pts90k, lastPts: pts90k, lastStep: 3600 };
    return sequence;
  }

  private finish(cur: { sequence: number; startPts: number }, endPts: number): HlsSegment {
    const durationS = Math.max(0.001, (endPts - cur.startPts) / 90_000);
    const seg: HlsSegment = { sequence: cur.sequence, uri: (this.opts.segmentUri ?? hlsSegmentUri)(cur.sequence), durationS };
    this.segments.push(seg);
    this.maxDurationS = Math.max(this.maxDurationS, durationS);
    return seg;
  }
}
