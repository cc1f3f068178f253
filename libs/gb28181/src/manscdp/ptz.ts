import { Gb28181Error } from '../errors';

/**
 * PTZ command bytes of a DeviceControl (GB/T 28181-2016 Annex A.3), 8 bytes written as 16 hex digits:
 *
 *   | A5 | ver(4)=0 check(4) | address low 8 | command | data1 | data2 | data3(4) address high(4) | checksum |
 *
 *   check    = (0xA + 0x5 + ver) mod 16          (so byte 2 is 0x0F for version 0)
 *   command  = 0x20 zoom out | 0x10 zoom in | 0x08 up | 0x04 down | 0x02 left | 0x01 right; 0x00 stop
 *              0x81 set preset, 0x82 call preset, 0x83 delete preset (data2 = preset number)
 *   data1    = pan speed 0–255, data2 = tilt speed 0–255, data3 = zoom speed 0–15
 *   checksum = sum of bytes 1–7 mod 256
 */
export type PtzMove = {
  /** -1 left, 0 none, 1 right. */
  pan: -1 | 0 | 1;
  /** -1 down, 0 none, 1 up. */
  tilt: -1 | 0 | 1;
  /** -1 zoom out (wide), 0 none, 1 zoom in (tele). */
  zoom: -1 | 0 | 1;
  /** Pan and tilt speed 0–255. */
  speed: number;
  /** Zoom speed 0–15. */
  zoomSpeed: number;
};

export type PtzCommand =
  | ({ kind: 'move' } & PtzMove)
  | { kind: 'stop' }
  | { kind: 'preset'; op: 'set' | 'call' | 'delete'; index: number };

/** Preset numbers devices accept (1-based; 0 is not a preset). */
export const PTZ_MAX_PRESET = 255;

const PRESET_OP = { set: 0x81, call: 0x82, delete: 0x83 } as const;

function checkByte(name: string, v: number, max: number): number {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new Gb28181Error('PTZ_BAD_COMMAND', `${name} must be an integer in 0..${max}, got ${v}`);
  return v;
}

/** The PTZCmd value for a command, e.g. right at speed 0x80 -> "A50F010180000036". `address` is the camera's 12-bit PTZ address (0 for GB devices). */
export function encodePtzCmd(cmd: PtzCommand, address = 0): string {
  checkByte('address', address, 0xfff);
  let command = 0;
  let d1 = 0;
  let d2 = 0;
  let d3 = 0;
  if (cmd.kind === 'move') {
    if (cmd.pan === 1) command |= 0x01;
    else if (cmd.pan === -1) command |= 0x02;
    if (cmd.tilt === -1) command |= 0x04;
    else if (cmd.tilt === 1) command |= 0x08;
    if (cmd.zoom === 1) command |= 0x10;
    else if (cmd.zoom === -1) command |= 0x20;
    const speed = checkByte('speed', cmd.speed, 0xff);
    d1 = cmd.pan !== 0 ? speed : 0;
    d2 = cmd.tilt !== 0 ? speed : 0;
    d3 = cmd.zoom !== 0 ? checkByte('zoomSpeed', cmd.zoomSpeed, 0x0f) : 0;
  } else if (cmd.kind === 'preset') {
    if (!Number.isInteger(cmd.index) || cmd.index < 1 || cmd.index > PTZ_MAX_PRESET) {
      throw new Gb28181Error('PTZ_BAD_COMMAND', `preset must be an integer in 1..${PTZ_MAX_PRESET}, got ${cmd.index}`);
    }
    const op = PRESET_OP[cmd.op];
    if (op === undefined) throw new Gb28181Error('PTZ_BAD_COMMAND', `unknown preset operation ${String(cmd.op)}`);
    command = op;
    d2 = cmd.index;
  } else if (cmd.kind !== 'stop') {
    throw new Gb28181Error('PTZ_BAD_COMMAND', `unknown PTZ command ${String((cmd as { kind: unknown }).kind)}`);
  }
  const bytes = [0xa5, (0 << 4) | ((0xa + 0x5 + 0) % 16), address & 0xff, command, d1, d2, ((d3 & 0x0f) << 4) | ((address >> 8) & 0x0f)];
  bytes.push(bytes.reduce((a, b) => a + b, 0) % 256);
  return bytes.map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join('');
}

/** Reads a PTZCmd back (checks the leading byte and both checksums); PTZ_BAD_COMMAND when it is not one. */
export function decodePtzCmd(hex: string): { address: number; command: number; data1: number; data2: number; data3: number } {
  if (!/^[0-9A-Fa-f]{16}$/.test(hex)) throw new Gb28181Error('PTZ_BAD_COMMAND', `PTZCmd must be 16 hex digits, got ${JSON.stringify(hex.slice(0, 40))}`);
  const b = Array.from({ length: 8 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
  if (b[0] !== 0xa5) throw new Gb28181Error('PTZ_BAD_COMMAND', 'PTZCmd does not start with A5');
  if ((b[1]! & 0x0f) !== (0xa + 0x5 + (b[1]! >> 4)) % 16) throw new Gb28181Error('PTZ_BAD_COMMAND', 'PTZCmd byte 2 check nibble is wrong');
  if (b.slice(0, 7).reduce((a, x) => a + x, 0) % 256 !== b[7]) throw new Gb28181Error('PTZ_BAD_COMMAND', 'PTZCmd checksum is wrong');
  return { address: b[2]! | ((b[6]! & 0x0f) << 8), command: b[3]!, data1: b[4]!, data2: b[5]!, data3: b[6]! >> 4 };
}
