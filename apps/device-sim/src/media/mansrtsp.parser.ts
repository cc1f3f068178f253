/**
 * MANSRTSP playback control (GB/T 28181-2016 Annex B), carried in INFO with Content-Type Application/MANSRTSP:
 *
 *   PAUSE RTSP/1.0            PLAY RTSP/1.0            PLAY RTSP/1.0
 *   CSeq: 1                   CSeq: 2                  CSeq: 3
 *   PauseTime: now            Range: npt=100-          Scale: 2.0
 *
 * Devices accept `RTSP/1.0` and `MANSRTSP/1.0`.
 */
export interface MansrtspRequest {
  method: string;
  cseq: number | null;
  /** `Range: npt=<from>-`: `now` (resume where paused) or seconds from the start. */
  rangeFrom?: 'now' | number;
  scale?: number;
  pauseTime?: string;
  /** The body as received. */
  raw: string;
}

/** Largest MANSRTSP body read (a few short lines in practice). */
export const MAX_MANSRTSP_BYTES = 4096;

export function parseMansrtsp(body: string): MansrtspRequest {
  if (body.length > MAX_MANSRTSP_BYTES) throw new Error(`MANSRTSP body of ${body.length} bytes exceeds ${MAX_MANSRTSP_BYTES}`);
  const lines = body.split(/\r?\n/).map((l) => l.trim());
  const first = /^([A-Z_]+)\s+(?:MANS)?RTSP\/1\.0$/i.exec(lines[0] ?? '');
  if (!first) throw new Error(`not a MANSRTSP request line: "${(lines[0] ?? '').slice(0, 60)}"`);
  const out: MansrtspRequest = { method: first[1]!.toUpperCase(), cseq: null, raw: body };
  for (const line of lines.slice(1)) {
    const m = /^([A-Za-z-]+)\s*:\s*(.*)$/.exec(line);
    if (!m) continue;
    const name = m[1]!.toLowerCase();
    const value = m[2]!;
    if (name === 'cseq' && /^\d+$/.test(value)) out.cseq = Number(value);
    else if (name === 'scale' && Number.isFinite(Number(value))) out.scale = Number(value);
    else if (name === 'pausetime') out.pauseTime = value;
    else if (name === 'range') {
      const r = /^npt\s*=\s*(now|\d+(?:\.\d+)?)\s*-/i.exec(value);
      if (r) out.rangeFrom = r[1]!.toLowerCase() === 'now' ? 'now' : Number(r[1]);
    }
  }
  return out;
}
