import { afterEach, describe, expect, it } from 'vitest';
import * as dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveFfmpeg } from '@gb/runtime';
import { SimMediaSession } from '../../../device-sim/src/media/sim-media.session';
import { MediaSession } from './media-session';
import type { FlvSink } from './flv-fanout';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A MediaSession fed by the simulator's H.264 camera (PS over RTP, real time), nobody subscribed to its FLV. */
async function rig(): Promise<MediaSession> {
  const dir = mkdtempSync(join(tmpdir(), 'media-flv-'));
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  const media = new MediaSession({ streamId: 's_1', transport: 'udp', bindHost: '127.0.0.1', port, ssrc: null, hlsRoot: dir, ffmpegPath: resolveFfmpeg(), hlsMuxer: 'internal' });
  await media.open();
  const sim = new SimMediaSession({
    kind: 'Play',
    source: { codec: 'h264', width: 320, height: 180 },
    sender: { transport: 'udp', remoteHost: '127.0.0.1', remotePort: port, localHost: '127.0.0.1', ssrc: 1234, video: 'h264' },
  });
  await sim.bind();
  void sim.start();
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => media.close(), () => sim.stop());
  return media;
}

/** What subscribe() hands a new viewer at once (synchronously), split into the file header and tags. */
function joinNow(media: MediaSession): { header: Buffer; tags: { type: number; ms: number; key: boolean; config: boolean }[]; leave: () => void } {
  const chunks: Buffer[] = [];
  const sink: FlvSink = { write: (b) => void chunks.push(b), backlog: 0, close: () => undefined };
  const leave = media.flv.subscribe(sink);
  const all = Buffer.concat(chunks);
  const tags: { type: number; ms: number; key: boolean; config: boolean }[] = [];
  for (let o = 13; o + 11 <= all.length; ) {
    const size = all.readUIntBE(o + 1, 3);
    tags.push({ type: all[o]!, ms: all.readUIntBE(o + 4, 3), key: all[o + 11]! >> 4 === 1, config: all[o]! === 9 && all[o + 12] === 0 });
    o += 11 + size + 4;
  }
  return { header: all.subarray(0, 13), tags, leave };
}

async function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('MediaSession FLV, muxed only while someone watches', () => {
  it('a viewer joining mid-stream gets the file header, the AVC config and the current GOP from its keyframe at once; so does one joining after the last left', async () => {
    const media = await rig();
    await until('first frame', () => media.info().firstFrameAt !== null);
    await new Promise((r) => setTimeout(r, 1500)); // past the first GOP: the viewer joins in a later one
    expect(await media.flv.ready().then(() => true)).toBe(true); // ready() resolves without any viewer
    for (let round = 0; round < 2; round++) {
      const v = joinNow(media);
      expect(v.header.subarray(0, 3).toString('latin1')).toBe('FLV');
      expect(v.tags[0]).toMatchObject({ type: 9, config: true });
      expect(v.tags[1]).toMatchObject({ type: 9, key: true, config: false });
      expect(v.tags.slice(2).every((t) => t.type === 9 && !t.key)).toBe(true); // the rest of the GOP
      expect(v.tags.map((t) => t.ms)).toEqual([...v.tags.map((t) => t.ms)].sort((a, b) => a - b));
      v.leave();
      await new Promise((r) => setTimeout(r, 1200)); // a keyframe passes with nobody watching
    }
  }, 30_000);
});
