import sharp from 'sharp';
import type { Roi } from '../contracts';
import type { RgbFrame } from '../frames/rgb-frame';
import { isVehicle, type DetectionLabel } from '../model/classes';
import type { Box } from '../model/detection';
import { WHOLE_FRAME } from '../scoring/polygon';

export interface SnapshotObject extends Box {
  label: DetectionLabel;
  score: number;
  /** Left out of counting (fixture, OSD, exclusion zone): drawn grey and dashed. */
  ignored?: string;
}

/** JPEG quality of alert snapshots. */
export const SNAPSHOT_JPEG_QUALITY = 80;

/**
 * The frame as a JPEG with each ROI outlined (yellow) and each box drawn (vehicles green, persons blue, boxes left
 * out of counting grey and dashed),
 * by compositing one SVG over the raw RGB pixels with sharp.
 */
export async function renderSnapshot(frame: RgbFrame, objects: readonly SnapshotObject[], rois: readonly Roi[]): Promise<Buffer> {
  const { width: w, height: h } = frame;
  const stroke = Math.max(2, Math.round(w / 320));
  const polys = (rois.length ? rois : [{ id: 'frame', polygon: WHOLE_FRAME }]).map((r) => {
    const pts = r.polygon.map(([x, y]) => `${(x * w).toFixed(1)},${(y * h).toFixed(1)}`).join(' ');
    const [lx, ly] = r.polygon[0] ?? [0, 0];
    return `<polygon points="${pts}" fill="none" stroke="#ffd400" stroke-width="${stroke}"/>` +
      `<text x="${(lx * w + 4).toFixed(1)}" y="${(ly * h + 14).toFixed(1)}" fill="#ffd400" font-size="12" font-family="sans-serif">${escapeXml(r.id)}</text>`;
  });
  const boxes = objects.map((o) => {
    const colour = o.ignored ? '#a0a0a0' : isVehicle(o.label) ? '#00e060' : '#40a0ff';
    const dash = o.ignored ? ` stroke-dasharray="${stroke * 3},${stroke * 2}"` : '';
    return `<rect x="${o.x1.toFixed(1)}" y="${o.y1.toFixed(1)}" width="${Math.max(1, o.x2 - o.x1).toFixed(1)}" height="${Math.max(1, o.y2 - o.y1).toFixed(1)}" fill="none" stroke="${colour}" stroke-width="${stroke}"${dash}/>`;
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${polys.join('')}${boxes.join('')}</svg>`;
  return sharp(frame.data, { raw: { width: w, height: h, channels: 3 } })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .jpeg({ quality: SNAPSHOT_JPEG_QUALITY })
    .toBuffer();
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
