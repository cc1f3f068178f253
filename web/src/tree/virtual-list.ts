import { h } from '../dom';

/** Rows drawn beyond each edge of the view, so a short scroll shows no blank line. */
const OVERSCAN_ROWS = 8;

/**
 * A scroll container that holds only the rows in view (plus OVERSCAN_ROWS each side) in the DOM, every row
 * `rowHeight` pixels high: thousands of rows cost what a screenful costs. setRows() swaps the data and redraws
 * the visible window only; rows are drawn by `render` and positioned absolutely inside a spacer of the full height.
 */
export class VirtualList<T> {
  readonly el: HTMLElement;
  private readonly spacer: HTMLElement;
  private rows: readonly T[] = [];
  private drawn = '';
  private frame = 0;
  private readonly resize = new ResizeObserver(() => this.schedule());

  constructor(
    private readonly rowHeight: number,
    private readonly render: (row: T, index: number) => HTMLElement,
    attrs: Record<string, string> = {},
  ) {
    this.spacer = h('ul', { class: 'root vlist-spacer' });
    this.el = h('div', { class: 'vlist', ...attrs }, this.spacer);
    this.el.addEventListener('scroll', () => this.schedule());
    // The height of the view is known only once it is in the document, and changes with the window.
    this.resize.observe(this.el);
  }

  get length(): number {
    return this.rows.length;
  }

  setRows(rows: readonly T[]): void {
    this.rows = rows;
    this.spacer.style.height = `${rows.length * this.rowHeight}px`;
    this.drawn = '';
    this.draw();
  }

  /** Redraws the visible rows (their data changed, not their number). */
  refresh(): void {
    this.drawn = '';
    this.draw();
  }

  /** Scrolls so that row `index` is in view. */
  reveal(index: number): void {
    const top = index * this.rowHeight;
    if (top < this.el.scrollTop || top + this.rowHeight > this.el.scrollTop + this.el.clientHeight) this.el.scrollTop = Math.max(0, top - this.el.clientHeight / 3);
    this.draw();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private draw(): void {
    const view = this.el.clientHeight || 600;
    const first = Math.max(0, Math.floor(this.el.scrollTop / this.rowHeight) - OVERSCAN_ROWS);
    const last = Math.min(this.rows.length, Math.ceil((this.el.scrollTop + view) / this.rowHeight) + OVERSCAN_ROWS);
    const key = `${first}:${last}`;
    if (key === this.drawn) return;
    this.drawn = key;
    const out: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const row = this.render(this.rows[i]!, i);
      row.style.top = `${i * this.rowHeight}px`;
      row.style.height = `${this.rowHeight}px`;
      out.push(row);
    }
    this.spacer.replaceChildren(...out);
  }

  dispose(): void {
    cancelAnimationFrame(this.frame);
    this.resize.disconnect();
  }
}
