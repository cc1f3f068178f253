import { describe, expect, it } from 'vitest';
import { Gb28181Error } from '../errors';
import { decodePtzCmd, encodePtzCmd } from './ptz';

const move = (pan: -1 | 0 | 1, tilt: -1 | 0 | 1, zoom: -1 | 0 | 1, speed = 0x80, zoomSpeed = 0) => ({ kind: 'move' as const, pan, tilt, zoom, speed, zoomSpeed });

describe('PTZCmd (GB/T 28181 Annex A.3)', () => {
  it.each([
    ['right at 0x80', move(1, 0, 0), 'A50F010180000036'], // the vector in gb28181-notes.md
    ['left at 0x80', move(-1, 0, 0), 'A50F010280000037'],
    ['up at 0x40', move(0, 1, 0, 0x40), 'A50F0108004000FD'], // A5+0F+01+08+00+40+00 = 0x1FD,
    ['down-left at 0xFF', move(-1, -1, 0, 0xff), 'A50F0106FFFF00B9'],
    ['zoom in, speed 3', move(0, 0, 1, 0x80, 3), 'A50F0110000030F5'], // A5+0F+01+10+00+00+30 = 0x1F5,
    ['zoom out, speed 15', move(0, 0, -1, 0x80, 15), 'A50F01200000F0C5'], // A5+0F+01+20+00+00+F0 = 0x1C5,
  ])('%s -> %s', (_n, cmd, hex) => expect(encodePtzCmd(cmd, 1)).toBe(hex));

  it('stop and presets', () => {
    expect(encodePtzCmd({ kind: 'stop' }, 1)).toBe('A50F0100000000B5');
    expect(encodePtzCmd({ kind: 'preset', op: 'call', index: 3 }, 1)).toBe('A50F01820003003A');
    expect(encodePtzCmd({ kind: 'preset', op: 'set', index: 255 }, 1)).toBe('A50F018100FF0035');
  });

  it('decodePtzCmd() reads back address, command and data, and checks both checksums', () => {
    const hex = encodePtzCmd(move(1, -1, 1, 0x22, 9), 0x123);
    expect(decodePtzCmd(hex)).toEqual({ address: 0x123, command: 0x15, data1: 0x22, data2: 0x22, data3: 9 });
    expect(() => decodePtzCmd('A50F010180000037')).toThrow(/checksum/);
    expect(() => decodePtzCmd('A51F010180000046')).toThrow(/check nibble/);
    expect(() => decodePtzCmd('B50F010180000036')).toThrow(/A5/);
    expect(() => decodePtzCmd('A50F01018000003')).toThrow(Gb28181Error);
    expect(() => decodePtzCmd('<x>'.repeat(10_000))).toThrow(/16 hex digits/);
  });

  it('out-of-range speeds, zoom speeds, presets and addresses are PTZ_BAD_COMMAND', () => {
    for (const bad of [() => encodePtzCmd(move(1, 0, 0, 256)), () => encodePtzCmd(move(1, 0, 0, -1)), () => encodePtzCmd(move(0, 0, 1, 1, 16)), () => encodePtzCmd(move(1, 0, 0, 1.5)),
      () => encodePtzCmd({ kind: 'preset', op: 'call', index: 0 }), () => encodePtzCmd({ kind: 'preset', op: 'call', index: 256 }), () => encodePtzCmd({ kind: 'stop' }, 0x1000),
      () => encodePtzCmd({ kind: 'jump' } as never)]) {
      expect(bad).toThrow(expect.objectContaining({ code: 'PTZ_BAD_COMMAND' }));
    }
  });
});
