/**
 * MANSRTSP bodies for playback control (GB/T 28181-2016 Annex B), sent in an INFO of the playback dialog with
 * `Content-Type: Application/MANSRTSP`:
 *
 *   pause   PAUSE RTSP/1.0   CSeq: n   PauseTime: now
 *   resume  PLAY RTSP/1.0    CSeq: n   Range: npt=now-
 *   seek    PLAY RTSP/1.0    CSeq: n   Range: npt=<seconds from the start>-
 *   speed   PLAY RTSP/1.0    CSeq: n   Scale: <x>   (0.25, 0.5, 1.0, 2.0, 4.0; negative = reverse)
 *
 * Lines end with CRLF and the body with an empty line, as in RTSP (RFC 2326 §4).
 */
export const MANSRTSP_CONTENT_TYPE = 'Application/MANSRTSP';

export interface MansrtspCommand {
  action: 'pause' | 'resume' | 'seek' | 'speed';
  /** seek: seconds from the start of the recording (floored, never negative). */
  position?: number;
  /** speed: the Scale value (default 1). */
  scale?: number;
}

export function buildMansrtsp(c: MansrtspCommand, cseq: number): string {
  const lines =
    c.action === 'pause'
      ? ['PAUSE RTSP/1.0', `CSeq: ${cseq}`, 'PauseTime: now']
      : c.action === 'resume'
        ? ['PLAY RTSP/1.0', `CSeq: ${cseq}`, 'Range: npt=now-']
        : c.action === 'seek'
          ? ['PLAY RTSP/1.0', `CSeq: ${cseq}`, `Range: npt=${Math.max(0, Math.floor(c.position ?? 0))}-`]
          : ['PLAY RTSP/1.0', `CSeq: ${cseq}`, `Scale: ${formatScale(c.scale)}`];
  return lines.join('\r\n') + '\r\n\r\n';
}

/** Whole speeds keep one decimal (`2.0`), fractional ones two (`0.25`, `0.50`), as the gateway always sent them. */
function formatScale(scale: number | undefined): string {
  const x = scale ?? 1;
  return x.toFixed(Number.isInteger(x) ? 1 : 2);
}
