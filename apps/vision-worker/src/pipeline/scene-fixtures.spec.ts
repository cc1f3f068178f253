import { describe, expect, it } from 'vitest';
import type { Box } from '../model/detection';
import type { GreyThumb } from './pixel-motion';
import { MAX_FIXTURE_CANDIDATES, MAX_FIXTURES, SCENE_FIXTURES, SceneFixtures } from './scene-fixtures';

/** A 160×120 thumbnail of a 640×480 frame: a smooth background with `patches` painted (frame-pixel boxes, grey value). */
function thumb(t: number, patches: { box: Box; value: number }[] = [], background = (x: number, y: number) => (x + y) % 200): GreyThumb {
  const width = 160;
  const height = 120;
  const grey = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) grey[y * width + x] = background(x, y);
  for (const { box, value } of patches) {
    for (let y = Math.max(0, Math.floor(box.y1 / 4)); y < Math.min(height, Math.ceil(box.y2 / 4)); y++) {
      for (let x = Math.max(0, Math.floor(box.x1 / 4)); x < Math.min(width, Math.ceil(box.x2 / 4)); x++) grey[y * width + x] = (value + x * 7 + y * 3) % 256;
    }
  }
  return { t, width, height, grey, frameWidth: 640, frameHeight: 480 };
}

const SIGN: Box = { x1: 300, y1: 80, x2: 360, y2: 130 };

describe('SceneFixtures', () => {
  it('a box that stays put with an unchanged inside becomes a fixture after learnSeconds, not before', () => {
    const f = new SceneFixtures();
    for (let t = 0; t < SCENE_FIXTURES.learnSeconds; t++) {
      f.update(thumb(t, [{ box: SIGN, value: 30 }]), t, [SIGN]);
      expect(f.isFixture(SIGN)).toBe(false);
    }
    f.update(thumb(SCENE_FIXTURES.learnSeconds, [{ box: SIGN, value: 30 }]), SCENE_FIXTURES.learnSeconds, [SIGN]);
    expect(f.isFixture(SIGN)).toBe(true);
    expect(f.fixtures()).toEqual([SIGN]);
    // A detection of the same sign split differently (mostly on it) is the fixture too; a car beside it is not.
    expect(f.isFixture({ x1: 305, y1: 85, x2: 340, y2: 128 })).toBe(true);
    expect(f.isFixture({ x1: 400, y1: 80, x2: 460, y2: 130 })).toBe(false);
  });

  it('stays a fixture while its pixels stay, even when the detector misses it for a while', () => {
    const f = new SceneFixtures({ learnSeconds: 10 });
    for (let t = 0; t <= 10; t++) f.update(thumb(t, [{ box: SIGN, value: 30 }]), t, [SIGN]);
    for (let t = 11; t <= 400; t += 10) f.update(thumb(t, [{ box: SIGN, value: 30 }]), t, []);
    expect(f.isFixture(SIGN)).toBe(true);
  });

  it('a creeping queue stays counted: a box whose inside changes (the next car) never becomes a fixture', () => {
    const f = new SceneFixtures({ learnSeconds: 30 });
    for (let t = 0; t <= 300; t++) {
      const car = 40 + Math.floor(t / 20) * 50; // a different car every 20 s at the same place
      f.update(thumb(t, [{ box: SIGN, value: car }]), t, [SIGN]);
      expect(f.isFixture(SIGN)).toBe(false);
    }
  });

  it('a queue standing completely still is not taken for fixtures (chain of similar boxes)', () => {
    const f = new SceneFixtures({ learnSeconds: 10 });
    const queue: Box[] = [0, 1, 2, 3, 4].map((i) => ({ x1: 100 + i * 45, y1: 300, x2: 140 + i * 45, y2: 330 }));
    for (let t = 0; t <= 60; t++) f.update(thumb(t, queue.map((box, i) => ({ box, value: 20 * i }))), t, queue);
    expect(f.fixtures()).toEqual([]);
  });

  it('a fixture whose inside changes (the parked trailer drives off) is forgotten', () => {
    const f = new SceneFixtures({ learnSeconds: 5 });
    for (let t = 0; t <= 5; t++) f.update(thumb(t, [{ box: SIGN, value: 30 }]), t, [SIGN]);
    expect(f.isFixture(SIGN)).toBe(true);
    f.update(thumb(6), 6, []);
    expect(f.isFixture(SIGN)).toBe(false);
  });

  it('a scene change (the camera turned) and reset() forget every fixture', () => {
    const f = new SceneFixtures({ learnSeconds: 5 });
    for (let t = 0; t <= 5; t++) f.update(thumb(t, [{ box: SIGN, value: 30 }]), t, [SIGN]);
    expect(f.fixtures()).toHaveLength(1);
    f.update(thumb(6, [{ box: SIGN, value: 30 }], (x, y) => (x * 13 + y * 29 + 100) % 256), 6, [SIGN]);
    expect(f.sceneChanges).toBe(1);
    expect(f.fixtures()).toEqual([]);
    for (let t = 7; t <= 13; t++) f.update(thumb(t, [{ box: SIGN, value: 30 }]), t, [SIGN]);
    expect(f.fixtures()).toHaveLength(1);
    f.reset();
    expect(f.fixtures()).toEqual([]);
  });

  it('hostile boxes (NaN, empty, outside the frame) and a frame-size change never throw and never become fixtures', () => {
    const f = new SceneFixtures({ learnSeconds: 1 });
    const bad: Box[] = [
      { x1: NaN, y1: 0, x2: 10, y2: 10 },
      { x1: 10, y1: 10, x2: 10, y2: 20 },
      { x1: 5000, y1: 5000, x2: 6000, y2: 6000 },
      { x1: -Infinity, y1: 0, x2: Infinity, y2: 10 },
    ];
    for (let t = 0; t <= 3; t++) f.update(thumb(t), t, bad);
    expect(f.fixtures()).toEqual([]);
    for (const b of bad) expect(f.isFixture(b)).toBe(false);
    f.update({ t: 4, width: 80, height: 60, grey: new Uint8Array(80 * 60), frameWidth: 320, frameHeight: 240 }, 4, [SIGN]);
    expect(f.fixtures()).toEqual([]);
  });

  it('holds at most MAX_FIXTURE_CANDIDATES candidates and MAX_FIXTURES fixtures', () => {
    const f = new SceneFixtures({ learnSeconds: 1 });
    const many: Box[] = [];
    for (let i = 0; i < 40; i++) for (let j = 0; j < 20; j++) many.push({ x1: i * 16, y1: j * 24, x2: i * 16 + 12, y2: j * 24 + 20 });
    for (let t = 0; t <= 3; t++) f.update(thumb(t), t, many);
    expect(f.candidateCount).toBeLessThanOrEqual(MAX_FIXTURE_CANDIDATES);
    expect(f.fixtures().length).toBeLessThanOrEqual(MAX_FIXTURES);
  });
});
