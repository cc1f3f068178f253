import { describe, expect, it } from 'vitest';
import { MAX_SCORE_BOXES, visionSubjects, VISION_NODE_ID_PATTERN, VISION_QUEUE_GROUP, type GatewayToWorkerMessage, type WorkerToGatewayMessage } from '@gb/contracts';
import type { RgbFrame } from '../frames/rgb-frame';
import { VisionError } from '../vision-error';
import { DetectorHolder, type ClosableDetector } from './detector-holder';
import type { LiveFrameSource } from './live-frame-source';
import { PpmStreamParser } from './ppm-stream.parser';
import { NODE_LINGER_HEARTBEATS, VisionWorker } from './vision-worker';
import { NODE_ID_PATTERN, workerSubjects, WORKER_QUEUE_GROUP } from './vision-subjects';
import type { WorkerTransport } from './worker-transport';

class MemoryTransport implements WorkerTransport {
  readonly kind = 'memory' as const;
  readonly out: WorkerToGatewayMessage[] = [];
  deliver: (m: GatewayToWorkerMessage) => void = () => undefined;
  async start(on: (m: GatewayToWorkerMessage) => void) {
    this.deliver = on;
  }
  send(m: WorkerToGatewayMessage) {
    this.out.push(m);
  }
  async close() {}
  statuses(ch: string) {
    return this.out.filter((m): m is Extract<WorkerToGatewayMessage, { type: 'status' }> => m.type === 'status' && m.channelId === ch);
  }
  scores(ch: string) {
    return this.out.filter((m) => m.type === 'score' && m.channelId === ch);
  }
  /** Heartbeats to one gateway node (undefined: the shared heartbeat), from the `from`-th message on. */
  heartbeats(node: string | undefined, from = 0) {
    return this.out.slice(from).filter((m): m is Extract<WorkerToGatewayMessage, { type: 'heartbeat' }> => m.type === 'heartbeat' && m.node === node);
  }
}

/** A source that plays the given frames 5 ms apart, then ends (or hangs when `hold`). */
function scriptedSource(frames: RgbFrame[], hold = false): LiveFrameSource {
  let closed = false;
  let release = () => undefined as void;
  return {
    async run(onFrame) {
      for (const f of frames) {
        if (closed) return;
        onFrame(f);
        await new Promise((r) => setTimeout(r, 5));
      }
      if (hold && !closed) await new Promise<void>((r) => (release = r));
    },
    close() {
      closed = true;
      release();
    },
  };
}

const frame = (w = 32, h = 24): RgbFrame => ({ width: w, height: h, data: Buffer.alloc(w * h * 3, 90) });
const stubDetector = (): ClosableDetector => ({
  async detect(f) {
    if (f.data.length !== f.width * f.height * 3) throw new VisionError('VISION_FRAME_INVALID', 'bad frame');
    return [{ x1: 2, y1: 2, x2: 12, y2: 10, score: 0.9, classId: 2, label: 'car' }];
  },
  async close() {},
});
const until = async (what: string, fn: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

function makeWorker(source: () => LiveFrameSource, load: () => Promise<ClosableDetector> = async () => stubDetector()) {
  const transport = new MemoryTransport();
  const worker = new VisionWorker({ workerId: 'w1', transport, detectors: new DetectorHolder(load, 50), openSource: source, heartbeatMs: 1000, retryMs: 30 });
  return { worker, transport };
}
const watch = (channelId: string): GatewayToWorkerMessage => ({ type: 'watch', channelId, deviceId: 'd', sourceUrl: 'fake://x?token=secret', rois: [], fps: 5 });

describe('VisionWorker with a scripted frame source', () => {
  it('a corrupt frame (wrong byte count) between good ones is skipped: the good frames are scored and the channel stays running', async () => {
    const bad: RgbFrame = { width: 32, height: 24, data: Buffer.alloc(100) };
    const { worker, transport } = makeWorker(() => scriptedSource([frame(), bad, frame(), frame()], true));
    await worker.start();
    transport.deliver(watch('c1'));
    await until('3 scores', () => transport.scores('c1').length === 3);
    expect(transport.statuses('c1').map((s) => s.state)).toEqual(['starting', 'running']);
    await worker.close();
    expect(transport.statuses('c1').at(-1)!.state).toBe('stopped');
  });

  it('a score carries the scored frame’s detection boxes, normalised 0–1 by the frame size', async () => {
    const { worker, transport } = makeWorker(() => scriptedSource([frame()], true));
    await worker.start();
    transport.deliver(watch('b1'));
    await until('a score', () => transport.scores('b1').length === 1);
    const m = transport.scores('b1')[0] as Extract<WorkerToGatewayMessage, { type: 'score' }>;
    // The stub's car at (2,2)–(12,10) px of a 32×24 frame.
    expect(m.boxes).toEqual([{ label: 'car', score: 0.9, x1: 0.0625, y1: 0.0833, x2: 0.375, y2: 0.4167 }]);
    await worker.close();
  });

  it('a frame with more than MAX_SCORE_BOXES detections sends the MAX_SCORE_BOXES best, highest score first, clamped to the frame', async () => {
    const many: ClosableDetector = {
      async detect() {
        // 250 separate 1×1 px persons on a 25×10 grid (no merging), the last one spilling over the frame's left edge.
        return Array.from({ length: MAX_SCORE_BOXES + 50 }, (_, i) => {
          const x = i % 25, y = Math.floor(i / 25);
          return { x1: i === 249 ? -4 : x, y1: y, x2: x + 1, y2: y + 1, score: 0.5 + i / 1000, classId: 0, label: 'person' as const };
        });
      },
      async close() {},
    };
    const { worker, transport } = makeWorker(() => scriptedSource([frame()], true), async () => many);
    await worker.start();
    transport.deliver(watch('b2'));
    await until('a score', () => transport.scores('b2').length === 1);
    const boxes = (transport.scores('b2')[0] as Extract<WorkerToGatewayMessage, { type: 'score' }>).boxes!;
    expect(boxes).toHaveLength(MAX_SCORE_BOXES);
    expect(boxes[0]).toEqual({ label: 'person', score: 0.749, x1: 0, y1: 0.375, x2: 0.7813, y2: 0.4167 });
    expect(boxes.at(-1)!.score).toBe(0.55);
    await worker.close();
  });

  it('five corrupt frames in a row report VISION_FRAME_INVALID; the next good frame puts the channel back to running', async () => {
    const bad: RgbFrame = { width: 32, height: 24, data: Buffer.alloc(7) };
    const { worker, transport } = makeWorker(() => scriptedSource([...Array<RgbFrame>(5).fill(bad), frame()], true));
    await worker.start();
    transport.deliver(watch('c2'));
    await until('running after error', () => transport.statuses('c2').map((s) => s.state).join() === 'starting,error,running');
    expect(transport.statuses('c2')[1]!.error).toMatch(/^VISION_FRAME_INVALID/);
    await worker.close();
  });

  it('a source that stops gives VISION_SOURCE_ENDED without the token in the message, then is reopened; unwatch ends the retries', async () => {
    let opened = 0;
    const { worker, transport } = makeWorker(() => (opened++, scriptedSource([frame()])));
    await worker.start();
    transport.deliver(watch('c3'));
    await until('reopened twice', () => opened >= 3);
    const err = transport.statuses('c3').find((s) => s.state === 'error')!;
    expect(err.error).toMatch(/^VISION_SOURCE_ENDED: source fake:\/\/x\?token=\*\*\* ended$/);
    transport.deliver({ type: 'unwatch', channelId: 'c3' });
    await until('stopped', () => transport.statuses('c3').at(-1)?.state === 'stopped');
    const n = opened;
    await new Promise((r) => setTimeout(r, 100));
    expect(opened).toBe(n);
    expect(worker.channels).toEqual([]);
    await worker.close();
  });

  it('a model that fails to load gives the error as status and heartbeat, and is retried: once it loads, the channel runs', async () => {
    let attempts = 0;
    const load = async () => {
      if (++attempts < 3) throw new VisionError('VISION_MODEL_UNREADABLE', 'cannot load ONNX model /m.onnx: protobuf parsing failed');
      return stubDetector();
    };
    const { worker, transport } = makeWorker(() => scriptedSource([frame(), frame()], true), load);
    await worker.start();
    transport.deliver(watch('c4'));
    await until('error', () => transport.statuses('c4').some((s) => s.state === 'error'));
    expect(transport.statuses('c4').find((s) => s.state === 'error')!.error).toBe('VISION_MODEL_UNREADABLE: cannot load ONNX model /m.onnx: protobuf parsing failed');
    await until('running', () => transport.statuses('c4').at(-1)?.state === 'running');
    expect(attempts).toBe(3);
    await worker.close();
  });

  it('messages that are not protocol messages are ignored by the transports parser, never thrown', async () => {
    const { parseGatewayMessage } = await import('./worker-transport');
    const badNodes = ['', 'a.b', '*', '>', 'a b', 'n'.repeat(65), 5, null].map((node) => ({ type: 'unwatch', channelId: 'x', node }));
    for (const junk of [null, 42, 'watch', {}, { type: 'watch', channelId: 'x' }, { type: 'nuke', channelId: 'x' }, { type: 'unwatch', channelId: 'x'.repeat(65) }, ...badNodes]) {
      expect(parseGatewayMessage(junk)).toBeNull();
    }
    expect(parseGatewayMessage({ type: 'watch', channelId: 'c', deviceId: 'd', sourceUrl: 'u', rois: [], fps: 1e9 })).toMatchObject({ fps: 1 });
    expect(parseGatewayMessage({ type: 'snapshot-request', channelId: 'c', requestId: 'r', node: 'gw-1_A' })).toEqual({ type: 'snapshot-request', channelId: 'c', requestId: 'r', node: 'gw-1_A' });
    expect(parseGatewayMessage({ type: 'unwatch', channelId: 'c' })).toEqual({ type: 'unwatch', channelId: 'c' });
    expect(parseGatewayMessage({ type: 'scene-reset', channelId: 'c', node: 'gw-1' })).toEqual({ type: 'scene-reset', channelId: 'c', node: 'gw-1' });
  });

  it('parseGatewayMessage() keeps well-formed exclusion zones of a watch and refuses a watch with malformed ones', async () => {
    const { parseGatewayMessage, MAX_EXCLUSION_ZONES, MAX_EXCLUSION_POINTS } = await import('./worker-transport');
    const base = { type: 'watch', channelId: 'c', deviceId: 'd', sourceUrl: 'u', rois: [], fps: 1 };
    const zone = { id: 'billboard', polygon: [[0, 0], [0.2, 0], [0.2, 0.2]] };
    expect(parseGatewayMessage({ ...base, exclusions: [zone] })).toMatchObject({ exclusions: [zone] });
    expect(parseGatewayMessage(base)).not.toHaveProperty('exclusions');
    const square = (i: number) => ({ id: `z${i}`, polygon: [[0, 0], [1, 0], [1, 1]] });
    const bad = [
      'zones',
      [{ ...zone, polygon: [[0, 0], [1, 1]] }],
      [{ ...zone, polygon: [[0, 0], [2, 0], [1, 1]] }],
      [{ ...zone, polygon: [[0, 0], [NaN, 0], [1, 1]] }],
      [{ ...zone, polygon: [[0, 0], ['1', 0], [1, 1]] }],
      [{ ...zone, id: '' }],
      [{ ...zone, id: 'x'.repeat(65) }],
      [null],
      Array.from({ length: MAX_EXCLUSION_ZONES + 1 }, (_, i) => square(i)),
      [{ id: 'long', polygon: Array.from({ length: MAX_EXCLUSION_POINTS + 1 }, () => [0.5, 0.5]) }],
    ];
    for (const exclusions of bad) expect(parseGatewayMessage({ ...base, exclusions })).toBeNull();
  });
});

describe('VisionWorker with channels of several gateway nodes', () => {
  const HB = 20;
  function nodeWorker() {
    const transport = new MemoryTransport();
    const worker = new VisionWorker({ workerId: 'w1', transport, detectors: new DetectorHolder(async () => stubDetector(), 50), openSource: () => scriptedSource([frame(), frame()], true), heartbeatMs: HB, retryMs: 30 });
    return { worker, transport };
  }
  const watchFor = (channelId: string, node?: string): GatewayToWorkerMessage => ({ ...watch(channelId), ...(node ? { node } : {}) });
  const lastBeat = (t: MemoryTransport, node: string | undefined) => t.heartbeats(node).at(-1)?.channels;

  it('each node gets a heartbeat listing only its channels, the shared heartbeat lists the node-less ones, and scores carry their node', async () => {
    const { worker, transport } = nodeWorker();
    await worker.start();
    transport.deliver(watchFor('c1', 'a'));
    transport.deliver(watchFor('c2', 'b'));
    transport.deliver(watchFor('c3'));
    await until('scores of all three', () => ['c1', 'c2', 'c3'].every((ch) => transport.scores(ch).length > 0));
    await until('a periodic heartbeat', () => transport.heartbeats('a').length >= 2);
    expect([lastBeat(transport, 'a'), lastBeat(transport, 'b'), lastBeat(transport, undefined)]).toEqual([['c1'], ['c2'], ['c3']]);
    expect(new Set(transport.scores('c1').map((m) => m.node))).toEqual(new Set(['a']));
    expect(new Set(transport.statuses('c2').map((m) => m.node))).toEqual(new Set(['b']));
    expect(transport.scores('c3').every((m) => !('node' in m))).toBe(true);
    await worker.close();
  });

  it(`a node whose last channel left gets empty heartbeats: one at once and ${NODE_LINGER_HEARTBEATS} periodic, then none`, async () => {
    const { worker, transport } = nodeWorker();
    await worker.start();
    transport.deliver(watchFor('c1', 'a'));
    await until('scores', () => transport.scores('c1').length > 0);
    const from = transport.out.length;
    transport.deliver({ type: 'unwatch', channelId: 'c1', node: 'a' });
    await until('stopped', () => transport.statuses('c1').at(-1)?.state === 'stopped');
    expect(transport.statuses('c1').at(-1)!.node).toBe('a');
    // The shared heartbeat goes out on every beat: once it has beaten well past the linger, so has node a.
    await until('beats past the linger', () => transport.heartbeats(undefined, from).length >= NODE_LINGER_HEARTBEATS + 4);
    expect(transport.heartbeats('a', from).map((h) => h.channels)).toEqual(Array<string[]>(NODE_LINGER_HEARTBEATS + 1).fill([]));
    await worker.close();
  });

  it('an unwatch or snapshot request from another node leaves the channel alone; the unwatch of its own node stops it', async () => {
    const { worker, transport } = nodeWorker();
    await worker.start();
    transport.deliver(watchFor('c1', 'a'));
    await until('scores', () => transport.scores('c1').length > 0);
    transport.deliver({ type: 'unwatch', channelId: 'c1', node: 'b' });
    transport.deliver({ type: 'snapshot-request', channelId: 'c1', requestId: 'r1', node: 'b' });
    await until('snapshot answer', () => transport.out.some((m) => m.type === 'snapshot'));
    expect(transport.out.find((m) => m.type === 'snapshot')).toEqual({ type: 'snapshot', channelId: 'c1', requestId: 'r1', jpegBase64: null, error: 'channel c1 is not watched by w1 for node b', node: 'b' });
    await until('a few heartbeats', () => transport.heartbeats('a').length >= 3);
    expect(worker.channels).toEqual(['c1']);
    expect(transport.statuses('c1').map((s) => s.state)).not.toContain('stopped');
    transport.deliver({ type: 'unwatch', channelId: 'c1', node: 'a' });
    await until('stopped', () => transport.statuses('c1').at(-1)?.state === 'stopped');
    expect(worker.channels).toEqual([]);
    await worker.close();
  });

  it('a watch from a second node moves the channel: scores and heartbeats go to the new node, the old one sees it gone and its unwatch is ignored', async () => {
    const { worker, transport } = nodeWorker();
    await worker.start();
    transport.deliver(watchFor('c1', 'a'));
    await until('scores to a', () => transport.scores('c1').some((m) => m.node === 'a'));
    const from = transport.out.length;
    transport.deliver(watchFor('c1', 'b'));
    expect(worker.nodeOf('c1')).toBe('b');
    await until('heartbeat to b', () => transport.heartbeats('b', from).length > 0);
    expect([lastBeat(transport, 'a'), lastBeat(transport, 'b')]).toEqual([[], ['c1']]);
    transport.deliver({ type: 'unwatch', channelId: 'c1', node: 'a' });
    await until('a few heartbeats to b', () => transport.heartbeats('b', from).length >= 3);
    expect(worker.channels).toEqual(['c1']);
    transport.deliver({ type: 'unwatch', channelId: 'c1', node: 'b' });
    await until('stopped', () => transport.statuses('c1').at(-1)?.state === 'stopped');
    expect(transport.statuses('c1').at(-1)!.node).toBe('b');
    expect(transport.out.slice(from).filter((m) => m.type !== 'heartbeat' && m.node === 'a')).toEqual([]);
    await worker.close();
  });
});

describe('VISION_TILES', () => {
  it('loadWorkerConfig() reads 1, 2 or 3 and falls back to auto (per-channel choice) for anything else', async () => {
    const { loadWorkerConfig } = await import('./worker-config');
    expect(['2', '3', '1', '4', 'x', undefined].map((v) => loadWorkerConfig({ VISION_TILES: v }).tiles)).toEqual([2, 3, 1, 'auto', 'auto', 'auto']);
  });

  it('loadWorkerConfig() reads VISION_THREADS (onnxruntime intra-op threads): default 1, at most MAX_VISION_THREADS', async () => {
    const { loadWorkerConfig, MAX_VISION_THREADS } = await import('./worker-config');
    expect(['2', '1', '0', 'x', '1000', undefined].map((v) => loadWorkerConfig({ VISION_THREADS: v }).threads)).toEqual([2, 1, 1, 1, MAX_VISION_THREADS, 1]);
  });

  it('a worker made with tiles 2 asks the detector for 2×2 tiles on every live frame', async () => {
    const calls: unknown[] = [];
    const detector: ClosableDetector = { async detect(_f, o) { calls.push(o?.tiles); return []; }, async close() {} };
    const transport = new MemoryTransport();
    const worker = new VisionWorker({ workerId: 'w1', transport, detectors: new DetectorHolder(async () => detector, 50), openSource: () => scriptedSource([frame(), frame()], true), heartbeatMs: 1000, retryMs: 30, tiles: 2 });
    await worker.start();
    transport.deliver(watch('t2'));
    await until('two scores', () => transport.scores('t2').length >= 2);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(new Set(calls)).toEqual(new Set([2]));
    await worker.close();
  });
});

describe('PpmStreamParser', () => {
  it('cuts concatenated P6 images split at arbitrary chunk boundaries into frames of their own sizes', () => {
    const img = (w: number, h: number, v: number) => Buffer.concat([Buffer.from(`P6\n${w} ${h}\n255\n`), Buffer.alloc(w * h * 3, v)]);
    const stream = Buffer.concat([img(4, 2, 1), img(2, 3, 2)]);
    for (const cut of [1, 3, 7, 13, 24, 31, stream.length - 1]) {
      const p = new PpmStreamParser();
      const frames = [...p.push(stream.subarray(0, cut)), ...p.push(stream.subarray(cut))];
      expect(frames.map((f) => [f.width, f.height, f.data.length, f.data[0]])).toEqual([[4, 2, 24, 1], [2, 3, 18, 2]]);
    }
  });

  it('rejects a stream that is not P6 and a header beyond the size bound with VISION_FRAME_INVALID', () => {
    expect(() => new PpmStreamParser().push(Buffer.from('GIF89a'))).toThrow(expect.objectContaining({ code: 'VISION_FRAME_INVALID' }));
    expect(() => new PpmStreamParser().push(Buffer.from('P6\n99999 2\n255\n'))).toThrow(expect.objectContaining({ code: 'VISION_FRAME_INVALID' }));
  });
});

describe('NATS subjects', () => {
  it('the worker copy and the gateway copy (@gb/contracts) name the same subjects and queue group', () => {
    const w = workerSubjects('pfx');
    const g = visionSubjects('pfx');
    expect(WORKER_QUEUE_GROUP).toBe(VISION_QUEUE_GROUP);
    expect([w.watch, w.unwatch, w.control('a'), w.heartbeat('a'), w.score('c'), w.status('c'), w.snapshot('c')]).toEqual([
      g.watch, g.unwatch, g.control('a'), g.heartbeat('a'), g.score('c'), g.status('c'), g.snapshot('c'),
    ]);
    const [wn, gn] = [w.node('n1'), g.node('n1')];
    expect([wn.unwatch, wn.heartbeat('a'), wn.score('c'), wn.status('c'), wn.snapshot('c')]).toEqual([gn.unwatch, gn.heartbeat('a'), gn.score('c'), gn.status('c'), gn.snapshot('c')]);
    expect([wn.unwatch, wn.heartbeat('a'), wn.score('c')]).toEqual(['pfx.vision.node.n1.unwatch', 'pfx.vision.node.n1.heartbeat.a', 'pfx.vision.node.n1.score.c']);
    expect(NODE_ID_PATTERN.source).toBe(VISION_NODE_ID_PATTERN.source);
  });
});
