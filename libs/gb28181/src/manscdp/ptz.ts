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
 *
 * FI (focus / iris, A.3.3): command = 0100 b3 b2 b1 b0 with b3 iris close, b2 iris open, b1 focus near, b0 focus far
 *   (0x40 = FI stop); data1 = focus speed 0–255, data2 = iris speed 0–255.
 * Cruise (A.3.5): 0x84 add a preset to cruise group data1 (data2 = preset), 0x85 remove it (data2 = 0: the whole
 *   cruise), 0x86 speed and 0x87 stay time of the group: a 12-bit value, low 8 bits in data2, high 4 bits in data3;
 *   0x88 start cruise data1. A cruise (and a scan) stops with the PTZ stop (command 0x00).
 * Scan (A.3.6): 0x89 with data2 = 0 start automatic scan of group data1, 1 set its left border, 2 its right border;
 *   0x8A its speed (12 bits as for the cruise).
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

/** Focus and iris (FI): each -1 / 0 / 1 at its speed. */
export type PtzFocusIris = {
  /** -1 near, 0 none, 1 far. */
  focus: -1 | 0 | 1;
  /** -1 close, 0 none, 1 open. */
  iris: -1 | 0 | 1;
  /** Focus speed 0–255. */
  focusSpeed: number;
  /** Iris speed 0–255. */
  irisSpeed: number;
};

export type PtzCruiseOp =
  | { op: 'add'; group: number; preset: number }
  /** preset 0 (or absent) removes the whole cruise group. */
  | { op: 'remove'; group: number; preset?: number }
  | { op: 'speed'; group: number; speed: number }
  /** Seconds at each preset. */
  | { op: 'stay'; group: number; seconds: number }
  | { op: 'start'; group: number };

export type PtzScanOp =
  | { op: 'start'; group: number }
  | { op: 'left' | 'right'; group: number }
  | { op: 'speed'; group: number; speed: number };

export type PtzCommand =
  | ({ kind: 'move' } & PtzMove)
  | { kind: 'stop' }
  | { kind: 'preset'; op: 'set' | 'call' | 'delete'; index: number }
  | ({ kind: 'fi' } & PtzFocusIris)
  | ({ kind: 'cruise' } & PtzCruiseOp)
  | ({ kind: 'scan' } & PtzScanOp);

/** Preset numbers devices accept (1-based; 0 is not a preset). */
export const PTZ_MAX_PRESET = 255;

/** Cruise and scan group numbers (one byte; 0 is a valid group on most cameras). */
export const PTZ_MAX_GROUP = 255;
/** Largest cruise / scan speed and cruise stay time: 12 bits (data2 low 8, data3 high 4). */
export const PTZ_MAX_12BIT = 0xfff;

const PRESET_OP = { set: 0x81, call: 0x82, delete: 0x83 } as const;
const CRUISE_OP = { add: 0x84, remove: 0x85, speed: 0x86, stay: 0x87, start: 0x88 } as const;
const SCAN_SUB = { start: 0, left: 1, right: 2 } as const;

function checkByte(name: string, v: number, max: number): number {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new Gb28181Error('PTZ_BAD_COMMAND', `${name} must be an integer in 0..${max}, got ${v}`);
  return v;
}

function checkPreset(index: number): number {
  if (!Number.isInteger(index) || index < 1 || index > PTZ_MAX_PRESET) {
    throw new Gb28181Error('PTZ_BAD_COMMAND', `preset must be an integer in 1..${PTZ_MAX_PRESET}, got ${index}`);
  }
  return index;
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
    checkPreset(cmd.index);
    const op = PRESET_OP[cmd.op];
    if (op === undefined) throw new Gb28181Error('PTZ_BAD_COMMAND', `unknown preset operation ${String(cmd.op)}`);
    command = op;
    d2 = cmd.index;
  } else if (cmd.kind === 'fi') {
    command = 0x40;
    if (cmd.focus === 1) command |= 0x01;
    else if (cmd.focus === -1) command |= 0x02;
    if (cmd.iris === 1) command |= 0x04;
    else if (cmd.iris === -1) command |= 0x08;
    d1 = cmd.focus !== 0 ? checkByte('focusSpeed', cmd.focusSpeed, 0xff) : 0;
    d2 = cmd.iris !== 0 ? checkByte('irisSpeed', cmd.irisSpeed, 0xff) : 0;
  } else if (cmd.kind === 'cruise') {
    const op = CRUISE_OP[cmd.op];
    if (op === undefined) throw new Gb28181Error('PTZ_BAD_COMMAND', `unknown cruise operation ${String(cmd.op)}`);
    command = op;
    d1 = checkByte('group', cmd.group, PTZ_MAX_GROUP);
    if (cmd.op === 'add') d2 = checkPreset(cmd.preset);
    else if (cmd.op === 'remove') d2 = cmd.preset === undefined || cmd.preset === 0 ? 0 : checkPreset(cmd.preset);
    else if (cmd.op === 'speed' || cmd.op === 'stay') {
      const v = checkByte(cmd.op === 'speed' ? 'speed' : 'seconds', cmd.op === 'speed' ? cmd.speed : cmd.seconds, PTZ_MAX_12BIT);
      d2 = v & 0xff;
      d3 = v >> 8;
    }
  } else if (cmd.kind === 'scan') {
    d1 = checkByte('group', cmd.group, PTZ_MAX_GROUP);
    if (cmd.op === 'speed') {
      command = 0x8a;
      const v = checkByte('speed', cmd.speed, PTZ_MAX_12BIT);
      d2 = v & 0xff;
      d3 = v >> 8;
    } else {
      const sub = SCAN_SUB[cmd.op];
      if (sub === undefined) throw new Gb28181Error('PTZ_BAD_COMMAND', `unknown scan operation ${String(cmd.op)}`);
      command = 0x89;
      d2 = sub;
    }
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
