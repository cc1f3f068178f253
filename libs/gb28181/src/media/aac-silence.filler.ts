import { Gb28181Error } from '../errors';
import { aacFrameDuration90k, aacSilentFrame, type AacConfig } from './aac.codec';
import { TIMESTAMP_WRAP_90K, timestampDelta90k } from './timestamps';

/**
 * One continuous AAC track next to the video, whatever the camera's audio does. A browser's Media Source Extensions
 * cannot add an audio track once playback started (Chromium refuses addSourceBuffer() after the first init segment;
 * hls.js and mpegts.js then fail), and playback stalls where the audio track has a hole. So a stream that declares
 * audio carries it from its first keyframe: silent frames until the camera's audio arrives (it often starts later
 * than the video, and a transcode adds ~0.2 s), the camera's frames while they flow, silence again when they stop.
 * Pure: video times and AAC frames in, AAC frames with times out (all on the camera's 33-bit 90 kHz clock).
 *
 *   video ─▶ video(pts):  no camera audio for `resumeAfter90k` → silent frames up to this video time
 *   audio ─▶ audio(raw, pts): out unless it lies in audio already out (then dropped, and silence waits for it to
 *            catch up); after `overlapGiveUp90k` of dropping, the track steps back to the camera's audio instead;
 *            audio ahead of what is out (delivered before the video of its time) gets silence up to it first
 */
export interface AacSilenceFillerOptions {
  config: AacConfig;
  /** Video time without a camera frame after which silence fills again. Default AAC_FILL_RESUME_AFTER_90K. */
  resumeAfter90k?: number;
  /** Video time of camera frames all lying in audio already out after which the track follows them back. Default AAC_FILL_OVERLAP_GIVE_UP_90K. */
  overlapGiveUp90k?: number;
}

export interface AacTrackFrame {
  /** The raw AAC frame (no ADTS header). */
  raw: Buffer;
  /** Camera clock, 90 kHz, 33 bits. */
  pts: number;
  silent: boolean;
}

/** 1 s: camera audio this late is taken as stopped, and silence fills (a transcode's own delay is ~0.2 s). */
export const AAC_FILL_RESUME_AFTER_90K = 90_000;
/** 2 s of camera audio that all lies in audio already sent: follow it back rather than drop it for ever. */
export const AAC_FILL_OVERLAP_GIVE_UP_90K = 180_000;
/** Camera audio further ahead of the video than this (5 s) is on another clock: dropped. */
export const AAC_FILL_MAX_AHEAD_90K = 450_000;
/** A video jump back or ahead beyond this (10 s) restarts the track at the video time instead of filling the distance. */
export const AAC_FILL_MAX_SPAN_90K = 900_000;

export class AacSilenceFiller {
  private readonly dur: number;
  private readonly silent: Buffer;
  private readonly resumeAfter: number;
  private readonly giveUp: number;
  /** The video's last raw timestamp and its unwrapped position: the reference all times are unwrapped against. */
  private ref: { raw: number; u: number } | null = null;
  /** Where the audio sent so far ends (unwrapped, fractional ticks), null before the first video frame. */
  private end: number | null = null;
  /** Time of the last camera frame (sent or dropped as overlap): the video's at its arrival, or its own if later. */
  private lastCamera: number | null = null;
  private overlapSince: number | null = null;
  silentFrames = 0;
  cameraFrames = 0;
  droppedFrames = 0;

  constructor(opts: AacSilenceFillerOptions) {
    this.dur = aacFrameDuration90k(opts.config);
    this.silent = aacSilentFrame(opts.config.channels);
    this.resumeAfter = opts.resumeAfter90k ?? AAC_FILL_RESUME_AFTER_90K;
    this.giveUp = opts.overlapGiveUp90k ?? AAC_FILL_OVERLAP_GIVE_UP_90K;
  }

  /** Whether camera audio is flowing now (the last frame within `resumeAfter90k` of video time). */
  get cameraActive(): boolean {
    return this.ref !== null && this.lastCamera !== null && this.ref.u - this.lastCamera <= this.resumeAfter;
  }

  /** A video frame at camera time `pts`: the silent frames due before it (none while the camera's audio flows). */
  video(pts: number): AacTrackFrame[] {
    check(pts);
    const u = this.ref ? this.ref.u + timestampDelta90k(pts, this.ref.raw) : 0;
    this.ref = { raw: pts, u };
    if (this.end === null || u < this.end - AAC_FILL_MAX_SPAN_90K || u > this.end + AAC_FILL_MAX_SPAN_90K) {
      this.end = u;
      this.lastCamera = null;
      this.overlapSince = null;
    }
    const out: AacTrackFrame[] = [];
    if (this.cameraActive) return out;
    while (this.end <= u) this.silence(out);
    return out;
  }

  /** A camera (or transcoded) frame at camera time `pts`: [it], or [] when it is dropped. */
  audio(raw: Buffer, pts: number): AacTrackFrame[] {
    check(pts);
    if (this.ref === null || this.end === null) {
      this.droppedFrames++; // before the first video frame: the track starts with the video
      return [];
    }
    const u = this.ref.u + timestampDelta90k(pts, this.ref.raw);
    if (u > this.ref.u + AAC_FILL_MAX_AHEAD_90K) {
      this.droppedFrames++;
      return [];
    }
    // (audio ahead of the video counts from its own time: the camera has not stopped before the video reaches it)
    this.lastCamera = Math.max(this.ref.u, u);
    if (u < this.end - this.dur / 2) {
      this.overlapSince ??= this.ref.u;
      if (this.ref.u - this.overlapSince < this.giveUp) {
        this.droppedFrames++;
        return [];
      }
      this.end = u; // persistently behind: follow the camera back
    }
    this.overlapSince = null;
    // Camera audio ahead of the audio sent so far (on a loaded machine the transcoded audio can be delivered before
    // the video of its time, so video() has not filled up to it): silence up to it, else the track has a hole there
    // (MSE stalls at it, and a decoder that ignores timestamps plays the camera's audio early).
    const out: AacTrackFrame[] = [];
    while (u - this.end >= this.dur / 2) this.silence(out);
    this.end = Math.max(this.end, u) + this.dur;
    this.cameraFrames++;
    out.push({ raw, pts, silent: false });
    return out;
  }

  /** One silent frame where the audio sent so far ends. */
  private silence(out: AacTrackFrame[]): void {
    const at = this.end!;
    out.push({ raw: this.silent, pts: this.raw(at), silent: true });
    this.end = at + this.dur;
    this.silentFrames++;
  }

  private raw(u: number): number {
    const t = Math.round(this.ref!.raw + (u - this.ref!.u)) % TIMESTAMP_WRAP_90K;
    return t < 0 ? t + TIMESTAMP_WRAP_90K : t;
  }
}

function check(pts: number): void {
  if (!Number.isFinite(pts)) throw new Gb28181Error('AAC_FILL_BAD_TIMESTAMP', `timestamp ${pts} is not a finite number`);
}
