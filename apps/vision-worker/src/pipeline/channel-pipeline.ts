import type { ExclusionZone, Roi } from '../contracts';
import { AutoDetectStrategy } from './auto-detect-strategy';
import { FixedDetectStrategy } from './detect-strategy';
import { FramePipeline, type FrameDetector } from './frame-pipeline';
import { OsdMaskLearner } from './osd-mask';
import type { SceneFixtureOptions } from './scene-fixtures';

export interface ChannelPipelineOptions {
  rois?: readonly Roi[];
  exclusions?: readonly ExclusionZone[];
  /** VISION_TILES: 1, 2 or 3 fixed; 'auto' (default) = chosen per channel from what its frames show. */
  tiles?: 1 | 2 | 3 | 'auto';
  /** Scene-fixture options (tests shorten the learning time); default SCENE_FIXTURES. */
  fixtures?: Partial<SceneFixtureOptions>;
}

/**
 * The pipeline a live channel runs (and the evaluation of live scoring): its ROIs and exclusion zones, its own
 * detector choice, scene fixtures and OSD finding. One per channel: it learns from the channel's frames.
 */
export function channelPipeline(detector: FrameDetector, opts: ChannelPipelineOptions = {}): FramePipeline {
  const tiles = opts.tiles ?? 'auto';
  return new FramePipeline(detector, {
    rois: opts.rois,
    exclusions: opts.exclusions ?? [],
    detectStrategy: tiles === 'auto' ? new AutoDetectStrategy() : new FixedDetectStrategy(tiles),
    osd: new OsdMaskLearner(),
    ...(opts.fixtures ? { fixtures: opts.fixtures } : {}),
  });
}
