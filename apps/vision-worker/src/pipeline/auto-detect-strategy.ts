import type { DetectorChoice } from '../contracts';
import type { RgbFrame } from '../frames/rgb-frame';
import type { Detection } from '../model/detection';
import type { DetectContext, DetectStrategy } from './detect-strategy';
import type { FrameDetector } from './frame-pipeline';

/**
 * Per-channel automatic choice of passes, tiles and contrast normalisation from what the channel's frames
 * show (placeholder: one pass until the measured rule lands).
 */
export class AutoDetectStrategy implements DetectStrategy {
  detect(detector: FrameDetector, frame: RgbFrame, ctx: DetectContext): Promise<Detection[]> {
    return detector.detect(frame, { scoreThreshold: ctx.scoreThreshold, tiles: 1 });
  }

  choice(): DetectorChoice {
    return { tiles: 1, region: 'frame', enhance: 'none', passes: 1, reason: 'auto: one pass', contrast: null, vehicleSize: null };
  }

  reset(): void {}
}
