import { describe, expect, it } from 'vitest';
import { MIN_DRAG_ZOOM_PX, dragZoomFields, pictureBox } from '../../web/src/tree/drag-zoom-geometry';

describe('pictureBox() (object-fit: contain)', () => {
  it('a 16:9 frame in a 16:9 element fills it', () => {
    expect(pictureBox(640, 360, 1920, 1080)).toEqual({ left: 0, top: 0, width: 640, height: 360 });
  });
  it('a 4:3 frame in a 16:9 element is pillarboxed, a 21:9 one letterboxed', () => {
    expect(pictureBox(640, 360, 640, 480)).toEqual({ left: 80, top: 0, width: 480, height: 360 });
    const wide = pictureBox(640, 360, 2100, 900);
    expect(wide.left).toBeCloseTo(0, 9);
    expect(wide.width).toBeCloseTo(640, 9);
    expect(wide.height).toBeCloseTo(274.29, 2);
    expect(wide.top).toBeCloseTo((360 - 274.29) / 2, 2);
  });
  it('no frame size yet (videoWidth 0): the whole element', () => {
    expect(pictureBox(640, 360, 0, 0)).toEqual({ left: 0, top: 0, width: 640, height: 360 });
  });
});

describe('dragZoomFields()', () => {
  const pic = { left: 80, top: 0, width: 480, height: 360 };
  it('a drag inside the picture: its size, the centre and the rectangle in picture pixels', () => {
    expect(dragZoomFields({ x: 180, y: 60 }, { x: 340, y: 180 }, pic)).toEqual({ length: 480, width: 360, midPointX: 180, midPointY: 120, lengthX: 160, lengthY: 120 });
  });
  it('the direction of the drag does not change the rectangle', () => {
    expect(dragZoomFields({ x: 340, y: 180 }, { x: 180, y: 60 }, pic)).toEqual(dragZoomFields({ x: 180, y: 60 }, { x: 340, y: 180 }, pic));
  });
  it('corners on the bars or outside the element are clamped to the picture: the rectangle stays inside it', () => {
    const f = dragZoomFields({ x: 10, y: -50 }, { x: 700, y: 500 }, pic)!;
    expect(f).toEqual({ length: 480, width: 360, midPointX: 240, midPointY: 180, lengthX: 480, lengthY: 360 });
  });
  it(`a click or a drag under ${MIN_DRAG_ZOOM_PX} px on a side is no rectangle`, () => {
    expect(dragZoomFields({ x: 200, y: 100 }, { x: 200, y: 100 }, pic)).toBeNull();
    expect(dragZoomFields({ x: 200, y: 100 }, { x: 300, y: 100 + MIN_DRAG_ZOOM_PX - 1 }, pic)).toBeNull();
    expect(dragZoomFields({ x: 0, y: 0 }, { x: 60, y: 200 }, pic)).toBeNull(); // all on the left bar
  });
  it('a picture of no size gives nothing', () => {
    expect(dragZoomFields({ x: 0, y: 0 }, { x: 100, y: 100 }, { left: 0, top: 0, width: 0, height: 0 })).toBeNull();
  });
});
