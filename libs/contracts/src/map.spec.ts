import { describe, expect, it } from 'vitest';
import { inverseMercatorY, mercatorY, planTransform, type MapReferencePoint } from './map';

const ref: [MapReferencePoint, MapReferencePoint] = [
  { px: [100, 700], lonlat: [120.15, 30.28] },
  { px: [900, 100], lonlat: [120.152, 30.2815] },
];

describe('planTransform()', () => {
  it('maps each reference point onto its pixel and back', () => {
    const tr = planTransform(ref)!;
    for (const p of ref) {
      const [x, y] = tr.toPixel(p.lonlat[0], p.lonlat[1]);
      expect(x).toBeCloseTo(p.px[0], 6);
      expect(y).toBeCloseTo(p.px[1], 6);
      const [lon, lat] = tr.toLonLat(p.px[0], p.px[1]);
      expect(lon).toBeCloseTo(p.lonlat[0], 9);
      expect(lat).toBeCloseTo(p.lonlat[1], 9);
    }
  });

  it('keeps the midpoint (in Mercator) at the pixel midpoint: uniform scale and rotation, no shear', () => {
    const tr = planTransform(ref)!;
    const lat = inverseMercatorY((mercatorY(30.28) + mercatorY(30.2815)) / 2);
    const [x, y] = tr.toPixel((120.15 + 120.152) / 2, lat);
    expect(x).toBeCloseTo(500, 6);
    expect(y).toBeCloseTo(400, 6);
  });

  it('a north-up plan: east is +x, north is -y', () => {
    const tr = planTransform([{ px: [0, 0], lonlat: [10, 10] }, { px: [100, 0], lonlat: [11, 10] }])!;
    const [x, y] = tr.toPixel(10, 10.5);
    expect(x).toBeCloseTo(0, 6);
    expect(y).toBeLessThan(0);
  });

  it('returns null for identical reference points (in pixels or on earth)', () => {
    expect(planTransform([ref[0], { ...ref[1], px: [100, 700] }])).toBeNull();
    expect(planTransform([ref[0], { ...ref[1], lonlat: [120.15, 30.28] }])).toBeNull();
  });
});
