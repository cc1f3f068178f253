/**
 * Which parts of a superior's DeviceControl (GB/T 28181-2016 §9.3, §A.2.3.1) the gateway passes on to the camera
 * (issue 11 item 5). Pure: the parsed `<Control>` fields in, the fields to send (or why not) out.
 *
 *   PTZCmd     8-byte PTZ command (Annex A.3), checked (A5, check nibble, checksum); any command byte passes
 *              (pan/tilt/zoom, presets, focus/iris, cruise, scan)
 *   TeleBoot   Boot                          GuardCmd  SetGuard / ResetGuard
 *   RecordCmd  Record / StopRecord           AlarmCmd  ResetAlarm
 *   IFameCmd   Send (a key frame now)
 *
 * Nested commands (DragZoomIn/Out, HomePosition, the AlarmCmd `<Info>`) are not passed on. The camera's answer:
 * RecordCmd, GuardCmd and AlarmCmd have a DeviceControl Response with a Result (§A.2.6.1); the others only the
 * SIP 200.
 */
import { decodePtzCmd } from '@gb/gb28181';

/** Flat DeviceControl elements relayed, in the order they are written. */
export const RELAYED_CONTROL_FIELDS = ['PTZCmd', 'TeleBoot', 'RecordCmd', 'GuardCmd', 'AlarmCmd', 'IFameCmd'] as const;
/** Commands whose camera answers with a `<Response><CmdType>DeviceControl</CmdType>…<Result>`. */
const ANSWERED_FIELDS = new Set(['RecordCmd', 'GuardCmd', 'AlarmCmd']);
/** A relayed value: a token (no markup, no spaces), at most 32 characters. */
const VALUE_RE = /^[A-Za-z0-9]{1,32}$/;

export interface PtzEffect {
  action: 'move' | 'stop' | 'preset';
  /** A move or a preset call changes the picture (what PtzController publishes as ptz.sent). */
  movesCamera: boolean;
}

export type ControlRelay =
  | { ok: true; fields: Record<string, string>; awaitsResponse: boolean; ptz: PtzEffect | null }
  | { ok: false; reason: string };

/** What a PTZ command byte does (Annex A.3): 0 stop, 0x81-0x83 presets, anything else moves. */
export function ptzEffect(command: number): PtzEffect {
  if (command === 0) return { action: 'stop', movesCamera: false };
  if (command >= 0x81 && command <= 0x83) return { action: 'preset', movesCamera: command === 0x82 };
  return { action: 'move', movesCamera: true };
}

/** The DeviceControl fields to send to the camera, from the `<Control>` fields of the superior's message. */
export function relayableControl(fields: Record<string, unknown>): ControlRelay {
  const out: Record<string, string> = {};
  let ptz: PtzEffect | null = null;
  for (const name of RELAYED_CONTROL_FIELDS) {
    const raw = fields[name];
    if (raw === undefined) continue;
    if (typeof raw !== 'string') return { ok: false, reason: `<${name}> is not a plain value` };
    const value = raw.trim();
    if (!VALUE_RE.test(value)) return { ok: false, reason: `<${name}> is not a command token` };
    if (name === 'PTZCmd') {
      try {
        ptz = ptzEffect(decodePtzCmd(value).command);
      } catch (e) {
        return { ok: false, reason: (e as Error).message };
      }
    }
    out[name] = value;
  }
  const names = Object.keys(out);
  if (names.length === 0) return { ok: false, reason: `no command the gateway passes on (${RELAYED_CONTROL_FIELDS.join(', ')})` };
  return { ok: true, fields: out, awaitsResponse: names.some((n) => ANSWERED_FIELDS.has(n)), ptz };
}
