import { h } from '../dom';
import { dragZoomFields, pictureBox, type DragZoomFields, type Point } from './drag-zoom-geometry';

/**
 * Arms one box-zoom drag over `video`: a layer over the element takes the pointer, draws the rectangle while dragging
 * and, on release, calls `done` with the fields (or null for a click or Escape). Returns a disarm function.
 */
export function armDragZoom(video: HTMLVideoElement, done: (fields: DragZoomFields | null) => void): () => void {
  const host = video.parentElement;
  if (!host) {
    done(null);
    return () => undefined;
  }
  if (getComputedStyle(host).position === 'static') host.style.position = 'relative';
  const box = h('div', { class: 'drag-zoom-box' });
  const layer = h('div', { class: 'drag-zoom-layer', 'data-field': 'drag-zoom-layer' }, box);
  layer.style.left = `${video.offsetLeft}px`;
  layer.style.top = `${video.offsetTop}px`;
  layer.style.width = `${video.offsetWidth}px`;
  layer.style.height = `${video.offsetHeight}px`;
  host.append(layer);
  let start: Point | null = null;
  let finished = false;
  const at = (e: PointerEvent): Point => {
    const r = layer.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };
  const finish = (fields: DragZoomFields | null) => {
    if (finished) return;
    finished = true;
    layer.remove();
    document.removeEventListener('keydown', onKey);
    done(fields);
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') finish(null);
  };
  layer.addEventListener('pointerdown', (e) => {
    start = at(e);
    layer.setPointerCapture(e.pointerId);
    Object.assign(box.style, { left: `${start.x}px`, top: `${start.y}px`, width: '0px', height: '0px', display: 'block' });
  });
  layer.addEventListener('pointermove', (e) => {
    if (!start) return;
    const p = at(e);
    Object.assign(box.style, { left: `${Math.min(start.x, p.x)}px`, top: `${Math.min(start.y, p.y)}px`, width: `${Math.abs(p.x - start.x)}px`, height: `${Math.abs(p.y - start.y)}px` });
  });
  layer.addEventListener('pointerup', (e) => {
    if (!start) return;
    const pic = pictureBox(layer.clientWidth, layer.clientHeight, video.videoWidth, video.videoHeight);
    finish(dragZoomFields(start, at(e), pic));
  });
  document.addEventListener('keydown', onKey);
  return () => finish(null);
}
