/** A point in CSS pixels relative to the video element's box. */
export interface Point {
  x: number;
  y: number;
}

/** Where the picture lies inside a video element drawn with `object-fit: contain` (letterbox or pillarbox bars). */
export interface PictureBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The body fields of a DragZoomIn/Out (GB/T 28181 §A.2.3.1): the picture's size, the rectangle's centre and size. */
export interface DragZoomFields {
  length: number;
  width: number;
  midPointX: number;
  midPointY: number;
  lengthX: number;
  lengthY: number;
}

/** A drag shorter than this on either side is taken as a click, not a rectangle. */
export const MIN_DRAG_ZOOM_PX = 8;

/** The picture's box inside an element of `elW × elH` showing a `videoW × videoH` frame with `object-fit: contain`. */
export function pictureBox(elW: number, elH: number, videoW: number, videoH: number): PictureBox {
  if (!(videoW > 0 && videoH > 0) || !(elW > 0 && elH > 0)) return { left: 0, top: 0, width: Math.max(0, elW), height: Math.max(0, elH) };
  const scale = Math.min(elW / videoW, elH / videoH);
  const width = videoW * scale;
  const height = videoH * scale;
  return { left: (elW - width) / 2, top: (elH - height) / 2, width, height };
}

/**
 * The DragZoom fields for a drag from `a` to `b` (element coordinates) over `pic`: both corners are clamped to the
 * picture, sizes are whole pixels of the picture as shown (the standard's "播放窗口" pixels), and the rectangle is at
 * least one pixel inside it. Null when the drag is too small to be a rectangle.
 */
export function dragZoomFields(a: Point, b: Point, pic: PictureBox): DragZoomFields | null {
  const length = Math.round(pic.width);
  const width = Math.round(pic.height);
  if (length < 1 || width < 1) return null;
  const clamp = (v: number, max: number) => Math.min(max, Math.max(0, v));
  const x0 = clamp(Math.min(a.x, b.x) - pic.left, length);
  const x1 = clamp(Math.max(a.x, b.x) - pic.left, length);
  const y0 = clamp(Math.min(a.y, b.y) - pic.top, width);
  const y1 = clamp(Math.max(a.y, b.y) - pic.top, width);
  if (x1 - x0 < MIN_DRAG_ZOOM_PX || y1 - y0 < MIN_DRAG_ZOOM_PX) return null;
  return {
    length, width,
    midPointX: Math.round((x0 + x1) / 2), midPointY: Math.round((y0 + y1) / 2),
    lengthX: Math.max(1, Math.round(x1 - x0)), lengthY: Math.max(1, Math.round(y1 - y0)),
  };
}
