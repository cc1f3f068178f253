/**
 * The map page (GET/PUT /api/map/settings, /api/map/positions): a site plan image placed on the earth by two reference
 * points, and manual positions of channels without catalog coordinates.
 */

/** One reference point: plan image pixel (origin top-left, y down) and its [longitude, latitude] in degrees (WGS 84). */
export interface MapReferencePoint {
  px: [number, number];
  lonlat: [number, number];
}

export interface MapSettingsDto {
  /** Two reference points of the uploaded plan, or null when the plan is not placed. */
  plan: { ref: [MapReferencePoint, MapReferencePoint] } | null;
  /** A tile server URL template `http://…/{z}/{x}/{y}.png` (Web Mercator, XYZ), or null: no tile layer. */
  tileUrl: string | null;
}

/** A channel placed by hand, in plan image pixels (origin top-left, y down). */
export interface MapPositionDto {
  channelId: string;
  x: number;
  y: number;
  updatedAt: string;
}

export interface MapPlanInfoDto {
  contentType: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
  bytes: number;
  updatedAt: string;
}

/** Web Mercator northing in degrees: the plan is a conformal (locally similar) picture of Mercator, not of raw lat. */
export function mercatorY(latDeg: number): number {
  return (Math.log(Math.tan(Math.PI / 4 + (latDeg * Math.PI) / 360)) * 180) / Math.PI;
}

export function inverseMercatorY(yDeg: number): number {
  return (Math.atan(Math.sinh((yDeg * Math.PI) / 180)) * 180) / Math.PI;
}

/**
 * The similarity (uniform scale, rotation, translation) that maps longitude/latitude to plan pixels through the two
 * reference points. In complex numbers, with g = lon + i·mercatorY(lat) and q = x − i·y (pixel y points down):
 * q = a·g + b, a = (q2 − q1) / (g2 − g1), b = q1 − a·g1. Null when the two points coincide (in pixels or on earth).
 */
export interface PlanTransform {
  toPixel(lon: number, lat: number): [number, number];
  toLonLat(x: number, y: number): [number, number];
}

export function planTransform(ref: readonly [MapReferencePoint, MapReferencePoint]): PlanTransform | null {
  const [p1, p2] = ref;
  const g1 = [p1.lonlat[0], mercatorY(p1.lonlat[1])] as const;
  const g2 = [p2.lonlat[0], mercatorY(p2.lonlat[1])] as const;
  const q1 = [p1.px[0], -p1.px[1]] as const;
  const q2 = [p2.px[0], -p2.px[1]] as const;
  const dg = [g2[0] - g1[0], g2[1] - g1[1]] as const;
  const dq = [q2[0] - q1[0], q2[1] - q1[1]] as const;
  const dg2 = dg[0] * dg[0] + dg[1] * dg[1];
  if (!(dg2 > 1e-18) || !(dq[0] * dq[0] + dq[1] * dq[1] > 1e-6)) return null;
  // a = dq / dg (complex division)
  const a = [(dq[0] * dg[0] + dq[1] * dg[1]) / dg2, (dq[1] * dg[0] - dq[0] * dg[1]) / dg2] as const;
  const b = [q1[0] - (a[0] * g1[0] - a[1] * g1[1]), q1[1] - (a[0] * g1[1] + a[1] * g1[0])] as const;
  const a2 = a[0] * a[0] + a[1] * a[1];
  if (!Number.isFinite(a2) || a2 === 0) return null;
  return {
    toPixel(lon, lat) {
      const g = [lon, mercatorY(lat)] as const;
      const q = [a[0] * g[0] - a[1] * g[1] + b[0], a[0] * g[1] + a[1] * g[0] + b[1]];
      return [q[0]!, -q[1]!];
    },
    toLonLat(x, y) {
      const d = [x - b[0], -y - b[1]] as const;
      // g = d / a
      const g = [(d[0] * a[0] + d[1] * a[1]) / a2, (d[1] * a[0] - d[0] * a[1]) / a2] as const;
      return [g[0], inverseMercatorY(g[1])];
    },
  };
}
