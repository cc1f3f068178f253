import { EventEmitter } from 'node:events';

/**
 * Bytes of finished HLS segments one stream keeps in memory, newest first; older (or bigger) segments are read from
 * disk, asynchronously. Sized against the ≤ 1 MB-per-stream memory target (docs/decisions.md: the in-process HLS path
 * already costs ~0.9 MB per 2 Mb/s stream without it): a sub-stream's whole window fits (the simulator's 640x360
 * pattern: 6 segments of ~34 KiB = 201 KiB, `npx tsx bench/hls-memory.measure.ts`); a 2 Mb/s main stream (~250 KB a
 * 1 s segment) keeps at most its newest one. The segment being written is held for it only while it fits too.
 */
export const HLS_MEMORY_BUDGET_BYTES = 256 * 1024;

/**
 * What the HTTP side reads of one stream's HLS output, without touching the disk: the playlist the remuxer announced
 * last, and its newest segments within HLS_MEMORY_BUDGET_BYTES. A remuxer announces a playlist only once every segment it
 * names can be read (in memory here, or renamed into place on disk). Emits 'playlist' on each announcement.
 */
export class HlsStore extends EventEmitter<{ playlist: [string] }> {
  private text: string | null = null;
  /**
   * Segment name -> bytes, oldest first (Map keeps insertion order): the muxer's pieces as they came, joined into one
   * Buffer when the segment is first read (a stream nobody watches over HLS never pays for the copy).
   */
  private readonly segments = new Map<string, Buffer | Buffer[]>();
  private bytes = 0;
  private readonly waiters = new Set<(playlist: string | null) => void>();
  private closed = false;

  constructor(private readonly budgetBytes = HLS_MEMORY_BUDGET_BYTES) {
    super();
  }

  /** The last announced playlist, or null before the first one. */
  get playlist(): string | null {
    return this.text;
  }

  /** Bytes of segments held in memory now. */
  get memoryBytes(): number {
    return this.bytes;
  }

  /** Names of the segments held in memory, oldest first. */
  get segmentNames(): string[] {
    return [...this.segments.keys()];
  }

  /** A new playlist: served from now on, and handed to whoever waits for one. */
  announcePlaylist(text: string): void {
    if (this.closed) return;
    this.text = text;
    for (const w of this.waiters) w(text);
    this.waiters.clear();
    try {
      this.emit('playlist', text);
    } catch {
      // a throwing listener is its own problem, not the remuxer's
    }
  }

  /**
   * Keeps a finished segment in memory (whole, or in pieces that are not changed afterwards), evicting the oldest ones
   * past the budget (a segment over it is not kept).
   */
  putSegment(name: string, data: Buffer | Buffer[]): void {
    if (this.closed) return;
    this.dropSegment(name);
    const size = byteSize(data);
    if (size > this.budgetBytes) return;
    this.segments.set(name, data);
    this.bytes += size;
    for (const [old, b] of this.segments) {
      if (this.bytes <= this.budgetBytes) break;
      this.segments.delete(old);
      this.bytes -= byteSize(b);
    }
  }

  dropSegment(name: string): void {
    const b = this.segments.get(name);
    if (!b) return;
    this.segments.delete(name);
    this.bytes -= byteSize(b);
  }

  /** The bytes of a segment held in memory, or undefined (then it is on disk, or gone). */
  segment(name: string): Buffer | undefined {
    const b = this.segments.get(name);
    if (!Array.isArray(b)) return b;
    const whole = Buffer.concat(b);
    this.segments.set(name, whole); // same bytes, same place in the order
    return whole;
  }

  /**
   * The playlist once there is one: at once when announced already, else at the announcement; null after `timeoutMs`
   * or when the store closes first.
   */
  whenPlaylist(timeoutMs: number): Promise<string | null> {
    if (this.text !== null || this.closed) return Promise.resolve(this.text);
    return new Promise((resolve) => {
      const done = (p: string | null) => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(p);
      };
      const timer = setTimeout(() => done(null), timeoutMs);
      this.waiters.add(done);
    });
  }

  /** Idempotent: forgets everything and answers the waiters with null. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.text = null;
    this.segments.clear();
    this.bytes = 0;
    for (const w of [...this.waiters]) w(null);
    this.waiters.clear();
    this.removeAllListeners();
  }
}

function byteSize(b: Buffer | Buffer[]): number {
  if (!Array.isArray(b)) return b.length;
  let n = 0;
  for (const x of b) n += x.length;
  return n;
}
