import { Gb28181Error } from '../errors';
import { decodeManscdpBody, type ManscdpCharset } from './charset';
import { DEFAULT_MANSCDP_CHARSET, escapeXml } from './manscdp.encoder';

/** Largest Broadcast notify body read (a few short elements in practice). */
export const MAX_BROADCAST_BODY_BYTES = 2048;

export interface BroadcastNotify {
  sn: number;
  /** The audio source: the platform's (or its audio input's) 20-digit ID; the device INVITEs this ID. */
  sourceId: string;
  /** The device's audio output channel (or the device itself). */
  targetId: string;
}

/**
 * The voice broadcast notification (GB/T 28181-2016 §9.12.1, A.2.5): `<Notify><CmdType>Broadcast</CmdType><SN/>
 * <SourceID/><TargetID/></Notify>`, no DeviceID element (the device answers with a Response carrying its own).
 */
export function encodeBroadcastNotify(n: BroadcastNotify, charset: ManscdpCharset = DEFAULT_MANSCDP_CHARSET): Buffer {
  if (!Number.isInteger(n.sn) || n.sn < 0 || n.sn > 999_999_999) throw new Gb28181Error('MANSCDP_BAD_FIELD', `SN ${n.sn} is not in 0..999999999`);
  for (const [k, v] of [['SourceID', n.sourceId], ['TargetID', n.targetId]] as const) {
    if (!/^[0-9A-Za-z]{1,32}$/.test(v)) throw new Gb28181Error('MANSCDP_BAD_FIELD', `${k} '${v.slice(0, 40)}' must be 1..32 letters or digits`);
  }
  const text =
    `<?xml version="1.0" encoding="${charset}"?>\r\n<Notify>\r\n<CmdType>Broadcast</CmdType>\r\n<SN>${n.sn}</SN>\r\n` +
    `<SourceID>${escapeXml(n.sourceId)}</SourceID>\r\n<TargetID>${escapeXml(n.targetId)}</TargetID>\r\n</Notify>\r\n`;
  return Buffer.from(text, 'latin1');
}

function element(text: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>\\s*([^<]{0,64}?)\\s*</${name}>`, 'i').exec(text);
  return m?.[1];
}

/**
 * Reads a Broadcast notify (what a device gets); undefined for a body that is not one. Throws MANSCDP_TOO_LARGE past
 * MAX_BROADCAST_BODY_BYTES and MANSCDP_MISSING_FIELD for a Broadcast without SN, SourceID or TargetID.
 */
export function parseBroadcastNotify(body: Buffer): BroadcastNotify | undefined {
  if (body.length > MAX_BROADCAST_BODY_BYTES) throw new Gb28181Error('MANSCDP_TOO_LARGE', `a Broadcast body of ${body.length} bytes exceeds ${MAX_BROADCAST_BODY_BYTES}`);
  const { text } = decodeManscdpBody(body);
  if (!/^\s*(<\?xml[^>]*\?>)?\s*<Notify>/i.test(text) || element(text, 'CmdType') !== 'Broadcast') return undefined;
  const sn = element(text, 'SN');
  const sourceId = element(text, 'SourceID');
  const targetId = element(text, 'TargetID');
  if (!sn || !/^\d{1,9}$/.test(sn)) throw new Gb28181Error('MANSCDP_MISSING_FIELD', '<SN> is missing or not a number');
  if (!sourceId || !/^[0-9A-Za-z]{1,32}$/.test(sourceId)) throw new Gb28181Error('MANSCDP_MISSING_FIELD', '<SourceID> is missing or not an ID');
  if (!targetId || !/^[0-9A-Za-z]{1,32}$/.test(targetId)) throw new Gb28181Error('MANSCDP_MISSING_FIELD', '<TargetID> is missing or not an ID');
  return { sn: Number(sn), sourceId, targetId };
}
