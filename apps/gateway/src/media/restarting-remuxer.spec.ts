import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import type { PsAccessUnit } from '@gb/gb28181';
import { buildFfmpegArgs, type Remuxer } from './ffmpeg-remuxer';
import { REMUX_MAX_RESTARTS, REMUX_RESTART_KEYFRAME_WAIT_MS, REMUX_RESTART_WINDOW_MS, RestartingRemuxer } from './restarting-remuxer';

/** A child that records what it was given and dies when told to: the part of a remuxer the wrapper sees. */
class FakeChild extends EventEmitter implements Remuxer {
  readonly written: PsAccessUnit[] = [];
  closed = 0;
  stderrTail = '';
  constructor(readonly restart: number) {
    super();
  }
  write(au: PsAccessUnit): void {
    this.written.push(au);
  }
  async close(): Promise<void> {
    this.closed++;
  }
  die(code: number | null, signal: string | null, stderr = ''): void {
    this.stderrTail = stderr;
    this.emit('exit', code, signal);
  }
}

const key = (n: number): PsAccessUnit => ({ streamId: 0xe0, kind: 'video', codec: 'h265', keyframe: true, data: Buffer.from([n]), pts: n * 3600 });
const delta = (n: number): PsAccessUnit => ({ streamId: 0xe0, kind: 'video', codec: 'h265', keyframe: false, data: Buffer.from([n]), pts: n * 3600 });
const audio = (n: number): PsAccessUnit => ({ streamId: 0xc0, kind: 'audio', codec: 'g711a', keyframe: false, data: Buffer.from([n]), pts: n * 3600 });

function rig(opts: { maxRestarts?: number; windowMs?: number } = {}) {
  let now = 0;
  const children: FakeChild[] = [];
  const r = new RestartingRemuxer({
    start: (n) => {
      const c = new FakeChild(n);
      children.push(c);
      return c;
    },
    now: () => now,
    ...opts,
  });
  const exits: [number | null, string | null][] = [];
  r.on('exit', (code: number | null, signal: string | null) => exits.push([code, signal]));
  return { r, children, exits, advance: (ms: number) => (now += ms), last: () => children.at(-1)! };
}

describe('RestartingRemuxer', () => {
  it('passes every access unit to its first child (started at once, restart 0) while it lives', () => {
    const { r, children } = rig();
    r.write(key(0));
    r.write(delta(1));
    r.write(audio(1));
    expect(children.map((c) => c.restart)).toEqual([0]);
    expect(children[0]!.written.map((a) => a.data[0])).toEqual([0, 1, 1]);
  });

  it('a child killed by SIGKILL: units dropped until the next video keyframe, a new child (restart 1) starts at that keyframe', () => {
    const { r, children, exits, advance } = rig();
    const seen: unknown[] = [];
    r.on('childExit', (e) => seen.push(e));
    r.on('restart', (n) => seen.push(n));
    r.write(key(0));
    advance(500);
    children[0]!.die(null, 'SIGKILL', 'last words');
    expect(r.lastExit).toEqual({ code: null, signal: 'SIGKILL', at: 500, stderrTail: 'last words' });
    expect(r.waitingForKeyframe).toBe(true);
    r.write(delta(1));
    r.write(audio(2));
    expect(children).toHaveLength(1);
    r.write(key(3));
    r.write(delta(4));
    expect(children.map((c) => c.restart)).toEqual([0, 1]);
    expect(children[1]!.written.map((a) => a.data[0])).toEqual([3, 4]);
    expect(children[0]!.written.map((a) => a.data[0])).toEqual([0]);
    expect(children[0]!.closed).toBe(0); // its successor writes on into the same outputs: not deleted
    expect(r.restarts).toBe(1);
    expect(exits).toEqual([]);
    expect(seen).toEqual([{ code: null, signal: 'SIGKILL', at: 500, stderrTail: 'last words' }, 1]);
  });

  it(`${REMUX_MAX_RESTARTS} restarts within REMUX_RESTART_WINDOW_MS are allowed; one death more gives up with MEDIA_REMUX_FAILED and the signal`, () => {
    const { r, children, exits, advance, last } = rig();
    for (let i = 0; i < REMUX_MAX_RESTARTS; i++) {
      advance(1000);
      last().die(null, 'SIGKILL');
      r.write(key(i));
    }
    expect(children).toHaveLength(REMUX_MAX_RESTARTS + 1);
    expect(exits).toEqual([]);
    advance(1000);
    last().die(null, 'SIGSEGV', 'Segmentation fault');
    expect(exits).toEqual([[null, 'SIGSEGV']]);
    expect(r.failure?.code).toBe('MEDIA_REMUX_FAILED');
    expect(r.failure?.message).toMatch(/killed by SIGSEGV.*3 restart\(s\).*Segmentation fault/);
    expect(r.failure?.details).toMatchObject({ restarts: REMUX_MAX_RESTARTS, signal: 'SIGSEGV' });
    r.write(key(99));
    expect(children).toHaveLength(REMUX_MAX_RESTARTS + 1);
  });

  it('deaths spread wider than the window never give up', () => {
    const { r, children, exits, advance, last } = rig();
    for (let i = 0; i < 3 * REMUX_MAX_RESTARTS; i++) {
      advance(REMUX_RESTART_WINDOW_MS / REMUX_MAX_RESTARTS + 1);
      last().die(1, null);
      r.write(key(i));
    }
    expect(exits).toEqual([]);
    expect(children).toHaveLength(3 * REMUX_MAX_RESTARTS + 1);
    expect(r.restarts).toBe(3 * REMUX_MAX_RESTARTS);
  });

  it('no keyframe within REMUX_RESTART_KEYFRAME_WAIT_MS after a death gives up with the exit code', () => {
    const { r, children, exits, advance } = rig();
    children[0]!.die(1, null);
    advance(REMUX_RESTART_KEYFRAME_WAIT_MS);
    r.write(delta(1));
    expect(exits).toEqual([]);
    advance(1);
    r.write(delta(2));
    expect(exits).toEqual([[1, null]]);
    expect(r.failure?.message).toMatch(/exited with code 1.*no video keyframe within/);
    r.write(key(3));
    expect(children).toHaveLength(1);
  });

  it('close() closes the live child once (twice is harmless), and a death during close() starts nothing and emits no exit', async () => {
    const { r, children, exits } = rig();
    const p = r.close();
    children[0]!.die(null, 'SIGTERM');
    await Promise.all([p, r.close()]);
    r.write(key(1));
    expect(children).toHaveLength(1);
    expect(children[0]!.closed).toBe(1);
    expect(exits).toEqual([]);
    expect(r.lastExit).toBeNull();
  });

  it('close() while waiting for a keyframe cleans up after the dead child and starts no successor', async () => {
    const { r, children } = rig();
    children[0]!.die(null, 'SIGKILL');
    await r.close();
    r.write(key(1));
    expect(children).toHaveLength(1);
    expect(children[0]!.closed).toBe(1);
  });

  it('a throwing childExit listener does not stop the restart', () => {
    const { r, children } = rig();
    r.on('childExit', () => {
      throw new Error('listener bug');
    });
    children[0]!.die(null, 'SIGKILL');
    r.write(key(1));
    expect(children).toHaveLength(2);
  });

  it('a successor ffmpeg continues the playlist (append_list+discont_start) in the same directory; the first one starts it afresh', () => {
    const o = { ffmpegPath: 'ffmpeg', video: 'h265' as const, outputs: { hlsDir: 'hls/s1' } };
    const flags = (a: string[]) => a[a.indexOf('-hls_flags') + 1];
    const first = buildFfmpegArgs(o);
    const next = buildFfmpegArgs({ ...o, continuePlaylist: true });
    expect(flags(first)).not.toMatch(/append_list|discont_start/);
    expect(flags(next)).toMatch(/\+append_list\+discont_start$/);
    expect(next.at(-1)).toBe(first.at(-1));
    expect(next.at(-1)).toBe('hls/s1/index.m3u8');
  });
});
