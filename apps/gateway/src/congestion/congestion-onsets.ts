import { ONSET_HEAVY_INDEX, OnsetDetector, type CongestionFormingDto, type CongestionScore, type OnsetOptions, type OnsetTransition } from '@gb/contracts';

interface RoiOnset {
  detector: OnsetDetector;
  /** The warning out now: since when (ms) and its slope. */
  forming: { since: number; slopePerMin: number } | null;
  /**
   * Time (ms) of the last warning, kept after it ended 'reached' for the held alert it announced (AlertDto.warnedAt);
   * forgotten once the index is back below heavy with no warning out (that run of heavy did not last).
   */
  warnedAt: number | null;
}

/**
 * The onset ("forming") warnings of the watched channels: one OnsetDetector per channel and ROI, fed from each score
 * (docs/congestion.md, "Onset warning"). Keeps what GET /api/congestion lists (`forming`) and the warning time a
 * held alert of the same ROI records. No effects: the service publishes the events.
 */
export class CongestionOnsets {
  private readonly channels = new Map<string, Map<string, RoiOnset>>();

  constructor(private readonly opts: OnsetOptions) {}

  /** Feeds one ROI score at `t` (ms, the score message's time); returns the detector's transition, if any. */
  update(channelId: string, s: CongestionScore, t: number): OnsetTransition | null {
    let rois = this.channels.get(channelId);
    if (!rois) this.channels.set(channelId, (rois = new Map()));
    let r = rois.get(s.roi);
    if (!r) rois.set(s.roi, (r = { detector: new OnsetDetector(this.opts), forming: null, warnedAt: null }));
    const tr = r.detector.update({ t, index: s.index, stationaryShare: s.stationaryShare });
    if (tr?.type === 'forming') {
      r.forming = { since: tr.t, slopePerMin: tr.slopePerMin };
      r.warnedAt = tr.t;
    } else if (tr?.type === 'ended') {
      r.forming = null;
      if (tr.reason === 'eased') r.warnedAt = null;
    } else if (!r.forming && Number.isFinite(s.index) && s.index < ONSET_HEAVY_INDEX) {
      r.warnedAt = null;
    }
    return tr;
  }

  /** The warning time (ms) that announced an alert being raised now for this ROI, or null; it is used up. */
  takeWarning(channelId: string, roi: string): number | null {
    const r = this.channels.get(channelId)?.get(roi);
    if (!r) return null;
    const at = r.warnedAt;
    r.warnedAt = null;
    return at;
  }

  /** ROIs of a channel with a warning out, for GET /api/congestion. */
  formingOf(channelId: string): CongestionFormingDto[] {
    const out: CongestionFormingDto[] = [];
    for (const [roi, r] of this.channels.get(channelId) ?? []) if (r.forming) out.push({ roi, since: new Date(r.forming.since).toISOString(), slopePerMin: r.forming.slopePerMin });
    return out;
  }

  /** Forgets a channel's detectors (watch stopped, ROIs changed); returns the ROIs whose warning was out. */
  reset(channelId: string): string[] {
    const rois = this.channels.get(channelId);
    this.channels.delete(channelId);
    return [...(rois ?? [])].filter(([, r]) => r.forming).map(([roi]) => roi);
  }
}
