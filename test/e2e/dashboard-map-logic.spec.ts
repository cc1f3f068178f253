import { describe, expect, it } from 'vitest';
import { TILE_SIZE, channelLonLat, hasCoordinates, lonLatToWorld, visibleTiles, worldToLonLat } from '../../web/src/map/map-geometry';

describe('dashboard map geometry (web/src/map/map-geometry.ts)', () => {
  it('lonLatToWorld() puts 0,0 at the centre of the world and round-trips through worldToLonLat()', () => {
    expect(lonLatToWorld(0, 0, 0)).toEqual([128, 128]);
    const [x, y] = lonLatToWorld(120.1503, 30.2803, 17);
    const [lon, lat] = worldToLonLat(x, y, 17);
    expect(lon).toBeCloseTo(120.1503, 9);
    expect(lat).toBeCloseTo(30.2803, 9);
  });

  it('visibleTiles() covers the screen, wraps x around the antimeridian and drops rows beyond the poles', () => {
    const tiles = visibleTiles(-100, -100, 600, 400, 1);
    expect(tiles.every((t) => t.y >= 0 && t.y < 2)).toBe(true);
    expect(tiles.map((t) => t.x)).toContain(1); // tile column -1 wraps to 1
    expect(tiles.find((t) => t.x === 0 && t.y === 0)).toMatchObject({ left: 100, top: 100 });
    expect(visibleTiles(0, 0, TILE_SIZE, TILE_SIZE, 3)).toHaveLength(1);
  });

  it('hasCoordinates() refuses null, NaN, out-of-range and the 0,0 many devices send for unset', () => {
    expect(hasCoordinates(120.15, 30.28)).toBe(true);
    expect(hasCoordinates(null, 30)).toBe(false);
    expect(hasCoordinates(0, 0)).toBe(false);
    expect(hasCoordinates(Number.NaN, 1)).toBe(false);
    expect(hasCoordinates(181, 1)).toBe(false);
    expect(hasCoordinates(1, 89)).toBe(false);
  });

  it('channelLonLat() draws a moving channel at its latest mobile position, else at its catalog coordinates, else nowhere', () => {
    const position = { time: '2026-12-03T08:00:00.000Z', longitude: 120.2, latitude: 30.3, speed: 36, direction: 90, altitude: null };
    expect(channelLonLat({ longitude: 120.1, latitude: 30.1, position })).toEqual([120.2, 30.3]);
    expect(channelLonLat({ longitude: 120.1, latitude: 30.1, position: null })).toEqual([120.1, 30.1]);
    expect(channelLonLat({ longitude: 120.1, latitude: 30.1, position: { ...position, longitude: 0, latitude: 0 } })).toEqual([120.1, 30.1]);
    expect(channelLonLat({ longitude: null, latitude: null })).toBeNull();
  });
});
