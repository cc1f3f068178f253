import type { NormalisedRect } from '../contracts';
import type { RgbFrame } from '../frames/rgb-frame';
import type { Box } from '../model/detection';

/**
 * Finds a camera's on-screen display (time stamps, captions, logos: static, high-contrast, in the same place
 * in every frame) from the frames of one channel, so detections inside it are left out. Pure: times come in.
 */
export interface OsdMask {
  /** Adds the frame at time `t` (seconds, increasing). */
  push(frame: RgbFrame, t: number): void;
  /** The areas found so far, normalised. */
  zones(): NormalisedRect[];
  /** Share (0–1) of the box (frame pixels of a `width`×`height` frame) that lies inside the found areas. */
  covers(box: Box, width: number, height: number): number;
  reset(): void;
}

/** A detection this much inside the OSD areas is left out. */
export const OSD_COVER_SHARE = 0.5;

/** No OSD finding (stills, tests). */
export class NoOsdMask implements OsdMask {
  push(): void {}
  zones(): NormalisedRect[] {
    return [];
  }
  covers(): number {
    return 0;
  }
  reset(): void {}
}
