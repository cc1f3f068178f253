/** Codecs a GB/T 28181 program stream carries (GB/T 28181-2016 Annex C). */
export type PsCodec = 'h264' | 'h265' | 'mpeg4' | 'svac' | 'aac' | 'g711a' | 'g711u' | 'unknown';

/** PSM stream_type values (ISO/IEC 13818-1 Table 2-34; GB/T 28181-2016 Annex C.2). */
export const PS_STREAM_TYPE = {
  MPEG4: 0x10,
  H264: 0x1b,
  H265: 0x24,
  SVAC: 0x80,
  AAC: 0x0f,
  G711A: 0x90,
  G711U: 0x91,
} as const;

/** Start code values (ISO/IEC 13818-1 Table 2-18, §2.5.3). */
export const PS_START = {
  END: 0xb9,
  PACK: 0xba,
  SYSTEM_HEADER: 0xbb,
  PSM: 0xbc,
  PRIVATE_1: 0xbd,
  PADDING: 0xbe,
  PRIVATE_2: 0xbf,
  AUDIO_FIRST: 0xc0,
  AUDIO_LAST: 0xdf,
  VIDEO_FIRST: 0xe0,
  VIDEO_LAST: 0xef,
} as const;

const BY_TYPE: Record<number, PsCodec> = {
  [PS_STREAM_TYPE.MPEG4]: 'mpeg4',
  [PS_STREAM_TYPE.H264]: 'h264',
  [PS_STREAM_TYPE.H265]: 'h265',
  [PS_STREAM_TYPE.SVAC]: 'svac',
  [PS_STREAM_TYPE.AAC]: 'aac',
  [PS_STREAM_TYPE.G711A]: 'g711a',
  [PS_STREAM_TYPE.G711U]: 'g711u',
};

export function codecOfStreamType(streamType: number): PsCodec {
  return BY_TYPE[streamType] ?? 'unknown';
}

export function streamTypeOfCodec(codec: Exclude<PsCodec, 'unknown'>): number {
  for (const [t, c] of Object.entries(BY_TYPE)) if (c === codec) return Number(t);
  return 0;
}

export function isVideoStreamId(id: number): boolean {
  return id >= PS_START.VIDEO_FIRST && id <= PS_START.VIDEO_LAST;
}

export function isAudioStreamId(id: number): boolean {
  return id >= PS_START.AUDIO_FIRST && id <= PS_START.AUDIO_LAST;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32/MPEG-2 (ISO/IEC 13818-1 Annex A): poly 0x04C11DB7, init 0xFFFFFFFF, no reflection. */
export function mpegCrc32(buf: Buffer): number {
  let crc = 0xffffffff;
  for (let i = 0; i < buf.length; i++) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ buf[i]) & 0xff]) >>> 0;
  return crc >>> 0;
}

/** Reads a 33-bit PTS/DTS from its 5-byte PES form (ISO/IEC 13818-1 §2.4.3.7). */
export function readPesTimestamp(b: Buffer, o: number): number {
  return ((b[o] >> 1) & 7) * 0x40000000 + ((b[o + 1] << 22) | ((b[o + 2] >> 1) << 15) | (b[o + 3] << 7) | (b[o + 4] >> 1));
}

/** Writes a 33-bit PTS/DTS in its 5-byte PES form with the 4-bit `prefix` ('0010' PTS, '0011'/'0001' PTS+DTS). */
export function writePesTimestamp(b: Buffer, o: number, prefix: number, ts: number): void {
  const v = ts % 0x200000000;
  const hi = Math.floor(v / 0x40000000) & 7;
  const lo = v % 0x40000000;
  b[o] = (prefix << 4) | (hi << 1) | 1;
  b[o + 1] = (lo >> 22) & 0xff;
  b[o + 2] = (((lo >> 15) & 0x7f) << 1) | 1;
  b[o + 3] = (lo >> 7) & 0xff;
  b[o + 4] = ((lo & 0x7f) << 1) | 1;
}
