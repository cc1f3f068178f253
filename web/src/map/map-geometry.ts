/** Web Mercator (EPSG:3857) as XYZ tile servers cut it: 256-pixel tiles, 2^z of them across, y down from 85.05°N. */
export const TILE_SIZE = 256;
export const MIN_TILE_ZOOM = 0;
export const MAX_TILE_ZOOM = 20;

/** World pixel of a longitude/latitude at zoom z. */
export function lonLatToWorld(lon: number, lat: number, z: number): [number, number] {
  const size = TILE_SIZE * 2 ** z;
  const sin = Math.sin((Math.max(-85.0511, Math.min(85.0511, lat)) * Math.PI) / 180);
  return [((lon + 180) / 360) * size, (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * size];
}

export function worldToLonLat(x: number, y: number, z: number): [number, number] {
  const size = TILE_SIZE * 2 ** z;
  const lon = (x / size) * 360 - 180;
  const n = Math.PI - (2 * Math.PI * y) / size;
  return [lon, (180 / Math.PI) * Math.atan(Math.sinh(n))];
}

/** The tiles covering a screen of `w`×`h` whose top-left is world pixel (x0, y0) at zoom z (x wraps, y clipped). */
export function visibleTiles(x0: number, y0: number, w: number, h: number, z: number): { z: number; x: number; y: number; left: number; top: number }[] {
  const n = 2 ** z;
  const out: { z: number; x: number; y: number; left: number; top: number }[] = [];
  for (let ty = Math.floor(y0 / TILE_SIZE); ty * TILE_SIZE < y0 + h; ty++) {
    if (ty < 0 || ty >= n) continue;
    for (let tx = Math.floor(x0 / TILE_SIZE); tx * TILE_SIZE < x0 + w; tx++) {
      out.push({ z, x: ((tx % n) + n) % n, y: ty, left: tx * TILE_SIZE - x0, top: ty * TILE_SIZE - y0 });
    }
  }
  return out;
}

/** A catalog position worth drawing: both numbers finite, in range, and not the 0,0 many devices send for "unset". */
export function hasCoordinates(lon: number | null, lat: number | null): lon is number {
  return lon !== null && lat !== null && Number.isFinite(lon) && Number.isFinite(lat) && Math.abs(lon) <= 180 && Math.abs(lat) <= 85.05 && !(lon === 0 && lat === 0);
}

/**
 * Where a channel is drawn on a lon/lat map: its latest mobile position (a moving camera reports it, GB/T 28181
 * §9.10) when drawable, else its catalog coordinates; null when neither is. A place set by hand wins over both
 * (the caller checks it first).
 */
export function channelLonLat(c: { longitude: number | null; latitude: number | null; position?: { longitude: number; latitude: number } | null }): [number, number] | null {
  if (c.position && hasCoordinates(c.position.longitude, c.position.latitude)) return [c.position.longitude, c.position.latitude];
  if (hasCoordinates(c.longitude, c.latitude)) return [c.longitude, c.latitude!];
  return null;
}
