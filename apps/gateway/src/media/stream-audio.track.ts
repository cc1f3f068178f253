import { AacSilenceFiller, GATEWAY_AAC_CONFIG, type AacTrackFrame, type PsAccessUnit } from '@gb/gb28181';
import { CameraAudioTranscoder } from './camera-audio.transcoder';

export interface StreamAudioTrackOptions {
  ffmpegPath: string;
  /** Each frame of the track, in order: AAC of GATEWAY_AAC_CONFIG, silent or the camera's, on the camera's clock. */
  onFrame(frame: AacTrackFrame): void;
}

/**
 * The AAC track of one stream's browser outputs (FLV, HLS): from the first video keyframe on, silence until the camera's
 * audio arrives, then the camera's audio transcoded to AAC (CameraAudioTranscoder), silence again if it stops
 * (AacSilenceFiller). Fed the camera's audio units and the video's timestamps; owns the transcoder.
 */
export class StreamAudioTrack {
  private readonly filler = new AacSilenceFiller({ config: GATEWAY_AAC_CONFIG });
  private readonly transcoder: CameraAudioTranscoder;
  private closed = false;

  constructor(private readonly opts: StreamAudioTrackOptions) {
    this.transcoder = new CameraAudioTranscoder({
      ffmpegPath: opts.ffmpegPath,
      onFrame: (f) => {
        if (!this.closed) this.deliver(this.filler.audio(f.raw, f.pts));
      },
    });
  }

  /** Frame counts and the transcoder's state, for diagnostics. */
  get stats(): { silentFrames: number; cameraFrames: number; droppedFrames: number; cameraUnitsDropped: number; transcoderRestarts: number; failure: string | null } {
    return {
      silentFrames: this.filler.silentFrames, cameraFrames: this.filler.cameraFrames, droppedFrames: this.filler.droppedFrames,
      cameraUnitsDropped: this.transcoder.dropped, transcoderRestarts: this.transcoder.restarts, failure: this.transcoder.failure,
    };
  }

  get transcoderPid(): number | undefined {
    return this.transcoder.pid;
  }

  /** A camera audio unit (G.711 A/µ, AAC). */
  camera(au: PsAccessUnit): void {
    if (!this.closed) this.transcoder.write(au);
  }

  /** A video frame's camera timestamp: silence due up to it goes out now. */
  video(pts: number): void {
    if (!this.closed) this.deliver(this.filler.video(pts));
  }

  /** Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await this.transcoder.close();
  }

  private deliver(frames: AacTrackFrame[]): void {
    for (const f of frames) {
      try {
        this.opts.onFrame(f);
      } catch {
        // one output's failure must not stop the track for the others
      }
    }
  }
}
