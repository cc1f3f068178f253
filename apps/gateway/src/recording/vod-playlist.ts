export interface PlaylistSegment {
  id: string;
  /** Epoch ms. */
  start: number;
  end: number;
}

/** Segments further apart than this are not adjacent: the playlist marks a discontinuity between them. */
export const ADJACENT_TOLERANCE_MS = 500;

/**
 * An HLS VOD playlist (RFC 8216 §4.3.3.5 EXT-X-PLAYLIST-TYPE:VOD, §4.3.3.4 EXT-X-ENDLIST) over recorded segments,
 * oldest first. Each recording run has one timeline; a gap starts another (EXT-X-DISCONTINUITY, §4.3.2.3), and
 * EXT-X-PROGRAM-DATE-TIME (§4.3.2.6) gives each run's wall-clock start so a player can map positions to times.
 */
export function vodPlaylist(segments: readonly PlaylistSegment[], uri: (s: PlaylistSegment) => string): string {
  const durations = segments.map((s) => Math.max(0.001, (s.end - s.start) / 1000));
  const target = Math.max(1, Math.ceil(Math.max(0, ...durations) - 1e-9));
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${target}`, '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD', '#EXT-X-INDEPENDENT-SEGMENTS'];
  segments.forEach((s, i) => {
    const prev = segments[i - 1];
    const gap = prev !== undefined && Math.abs(s.start - prev.end) > ADJACENT_TOLERANCE_MS;
    if (gap) lines.push('#EXT-X-DISCONTINUITY');
    if (i === 0 || gap) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(s.start).toISOString()}`);
    lines.push(`#EXTINF:${durations[i]!.toFixed(3)},`, uri(s));
  });
  lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}
