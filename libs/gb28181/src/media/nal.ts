import { Gb28181Error } from '../errors';
import { ExpGolombReader, removeEmulationPrevention } from './exp-golomb.reader';

/** H.264 Table 7-1 NAL unit types used here. */
export const H264_NAL = { SLICE: 1, IDR: 5, SEI: 6, SPS: 7, PPS: 8, AUD: 9 } as const;
/** H.265 Table 7-1 NAL unit types used here (IRAP = 16..23, of which 16..21 are assigned). */
export const H265_NAL = { BLA_W_LP: 16, CRA: 21, VPS: 32, SPS: 33, PPS: 34, AUD: 35 } as const;

export interface VideoResolution {
  width: number;
  height: number;
  profileIdc: number;
  levelIdc: number;
}

const START_CODE = Buffer.from([0, 0, 1]);

/**
 * Splits an Annex B byte stream (H.264/H.265 Annex B) into NAL units without start codes.
 * Leading bytes before the first start code are ignored; trailing zero bytes
 * (`zero_byte` of a 4-byte start code, `trailing_zero_8bits`) are removed from each unit.
 * Units are subarrays of `buf`.
 */
export function splitAnnexB(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let i = buf.indexOf(START_CODE);
  while (i >= 0) {
    const start = i + 3;
    const next = buf.indexOf(START_CODE, start);
    let end = next < 0 ? buf.length : next;
    while (end > start && buf[end - 1] === 0) end--;
    if (end > start) out.push(buf.subarray(start, end));
    i = next;
  }
  return out;
}

/** nal_unit_type of an H.264 NAL unit (H.264 §7.3.1), or -1 for an empty unit. */
export function h264NalType(nal: Buffer): number {
  return nal.length > 0 ? nal[0] & 0x1f : -1;
}

/** nal_unit_type of an H.265 NAL unit (H.265 §7.3.1.2), or -1 for an empty unit. */
export function h265NalType(nal: Buffer): number {
  return nal.length > 0 ? (nal[0] >> 1) & 0x3f : -1;
}

/** Calls `visit` with the first header byte offset of each NAL unit in an Annex B buffer (no allocation). */
function forEachNalHeader(au: Buffer, visit: (offset: number) => boolean): void {
  let i = au.indexOf(START_CODE);
  while (i >= 0 && i + 3 < au.length) {
    if (visit(i + 3)) return;
    i = au.indexOf(START_CODE, i + 3);
  }
}

/** An H.264 access unit (Annex B) is a keyframe when it holds an IDR slice (type 5) or an SPS (7). */
export function isH264Keyframe(au: Buffer): boolean {
  let key = false;
  forEachNalHeader(au, (o) => {
    const t = au[o] & 0x1f;
    key = t === H264_NAL.IDR || t === H264_NAL.SPS;
    return key;
  });
  return key;
}

/** An H.265 access unit (Annex B) is a keyframe when it holds an IRAP picture (types 16..21) or a VPS (32). */
export function isH265Keyframe(au: Buffer): boolean {
  let key = false;
  forEachNalHeader(au, (o) => {
    const t = (au[o] >> 1) & 0x3f;
    key = (t >= H265_NAL.BLA_W_LP && t <= H265_NAL.CRA) || t === H265_NAL.VPS;
    return key;
  });
  return key;
}

const H264_VALID = new Set([1, 5, 6, 7, 8, 9, 10, 11, 12]);
function validH265Header(b0: number, b1: number | undefined): boolean {
  if (b1 === undefined || (b0 & 0x80) !== 0) return false;
  const t = (b0 >> 1) & 0x3f;
  const layer = ((b0 & 1) << 5) | (b1 >> 3);
  const tid = b1 & 7;
  return layer === 0 && tid > 0 && (t <= 9 || (t >= 16 && t <= 21) || (t >= 32 && t <= 40));
}

/**
 * Guesses the codec of an Annex B access unit for streams without a PSM entry: every NAL
 * header must be plausible for the codec (forbidden bit 0; H.264 types seen from cameras;
 * H.265 layer 0, TemporalId >= 1). Returns undefined when undecided (both or neither fit).
 */
export function guessVideoCodec(au: Buffer): 'h264' | 'h265' | undefined {
  let h264 = true;
  let h265 = true;
  let count = 0;
  forEachNalHeader(au, (o) => {
    count++;
    const b0 = au[o];
    if ((b0 & 0x80) !== 0 || !H264_VALID.has(b0 & 0x1f)) h264 = false;
    if (!validH265Header(b0, o + 1 < au.length ? au[o + 1] : undefined)) h265 = false;
    return (!h264 && !h265) || count >= 64;
  });
  if (count === 0 || h264 === h265) return undefined;
  return h264 ? 'h264' : 'h265';
}

const H264_HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

function skipScalingList(r: ExpGolombReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) {
      next = (last + r.se() + 256) % 256;
    }
    last = next === 0 ? last : next;
  }
}

function wrap<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Gb28181Error) throw e;
    throw new Gb28181Error('NAL_BAD_SPS', `${what}: ${(e as Error).message}`, { cause: e });
  }
}

/** Parses an H.264 sequence parameter set NAL unit (with its header byte; H.264 §7.3.2.1.1). */
export function parseH264Sps(nal: Buffer): VideoResolution {
  if (h264NalType(nal) !== H264_NAL.SPS) throw new Gb28181Error('NAL_NOT_SPS', `H.264 NAL type ${h264NalType(nal)} is not an SPS (7)`);
  return wrap('H.264 SPS', () => {
    const r = new ExpGolombReader(removeEmulationPrevention(nal.subarray(1)));
    const profileIdc = r.u(8);
    r.skip(8); // constraint_set flags + reserved_zero_2bits
    const levelIdc = r.u(8);
    r.ue(); // seq_parameter_set_id
    let chromaFormatIdc = 1;
    let separateColourPlane = false;
    if (H264_HIGH_PROFILES.has(profileIdc)) {
      chromaFormatIdc = r.ue();
      if (chromaFormatIdc === 3) separateColourPlane = r.flag();
      r.ue(); // bit_depth_luma_minus8
      r.ue(); // bit_depth_chroma_minus8
      r.skip(1); // qpprime_y_zero_transform_bypass_flag
      if (r.flag()) {
        const lists = chromaFormatIdc === 3 ? 12 : 8;
        for (let i = 0; i < lists; i++) if (r.flag()) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
    r.ue(); // log2_max_frame_num_minus4
    const pocType = r.ue();
    if (pocType === 0) r.ue();
    else if (pocType === 1) {
      r.skip(1);
      r.se();
      r.se();
      const cycle = r.ue();
      if (cycle > 255) throw new Gb28181Error('NAL_BAD_SPS', `num_ref_frames_in_pic_order_cnt_cycle ${cycle} > 255`);
      for (let i = 0; i < cycle; i++) r.se();
    }
    r.ue(); // max_num_ref_frames
    r.skip(1); // gaps_in_frame_num_value_allowed_flag
    const widthMbs = r.ue() + 1;
    const heightMapUnits = r.ue() + 1;
    const frameMbsOnly = r.flag();
    if (!frameMbsOnly) r.skip(1); // mb_adaptive_frame_field_flag
    r.skip(1); // direct_8x8_inference_flag
    let cropL = 0, cropR = 0, cropT = 0, cropB = 0;
    if (r.flag()) {
      cropL = r.ue();
      cropR = r.ue();
      cropT = r.ue();
      cropB = r.ue();
    }
    // H.264 §7.4.2.1.1, Table 6-1: crop units depend on ChromaArrayType.
    const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
    const subWidthC = chromaArrayType === 3 ? 1 : 2;
    const subHeightC = chromaArrayType === 1 ? 2 : 1;
    const fmo = frameMbsOnly ? 1 : 0;
    const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
    const cropUnitY = chromaArrayType === 0 ? 2 - fmo : subHeightC * (2 - fmo);
    const width = widthMbs * 16 - cropUnitX * (cropL + cropR);
    const height = (2 - fmo) * heightMapUnits * 16 - cropUnitY * (cropT + cropB);
    if (width <= 0 || height <= 0) throw new Gb28181Error('NAL_BAD_SPS', `H.264 SPS gives ${width}x${height}`);
    return { width, height, profileIdc, levelIdc };
  });
}

/** Parses an H.265 sequence parameter set NAL unit (with its 2-byte header; H.265 §7.3.2.2). */
export function parseH265Sps(nal: Buffer): VideoResolution {
  if (h265NalType(nal) !== H265_NAL.SPS) throw new Gb28181Error('NAL_NOT_SPS', `H.265 NAL type ${h265NalType(nal)} is not an SPS (33)`);
  return wrap('H.265 SPS', () => {
    const r = new ExpGolombReader(removeEmulationPrevention(nal.subarray(2)));
    r.skip(4); // sps_video_parameter_set_id
    const maxSubLayersMinus1 = r.u(3);
    r.skip(1); // sps_temporal_id_nesting_flag
    // profile_tier_level(1, maxSubLayersMinus1), §7.3.3
    r.skip(2 + 1); // general_profile_space, general_tier_flag
    const profileIdc = r.u(5);
    r.skip(32 + 48); // compatibility flags, constraint flags
    const levelIdc = r.u(8);
    const subProfile: boolean[] = [];
    const subLevel: boolean[] = [];
    for (let i = 0; i < maxSubLayersMinus1; i++) {
      subProfile.push(r.flag());
      subLevel.push(r.flag());
    }
    if (maxSubLayersMinus1 > 0) for (let i = maxSubLayersMinus1; i < 8; i++) r.skip(2);
    for (let i = 0; i < maxSubLayersMinus1; i++) {
      if (subProfile[i]) r.skip(88);
      if (subLevel[i]) r.skip(8);
    }
    r.ue(); // sps_seq_parameter_set_id
    const chromaFormatIdc = r.ue();
    let separateColourPlane = false;
    if (chromaFormatIdc === 3) separateColourPlane = r.flag();
    let width = r.ue();
    let height = r.ue();
    if (r.flag()) {
      // conformance_window offsets are in chroma units (Table 6-1).
      const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
      const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
      const subHeightC = chromaArrayType === 1 ? 2 : 1;
      const l = r.ue(), rr = r.ue(), t = r.ue(), b = r.ue();
      width -= subWidthC * (l + rr);
      height -= subHeightC * (t + b);
    }
    if (width <= 0 || height <= 0) throw new Gb28181Error('NAL_BAD_SPS', `H.265 SPS gives ${width}x${height}`);
    return { width, height, profileIdc, levelIdc };
  });
}

/** Finds the SPS in an Annex B access unit and returns the picture size, or undefined when none parses. */
export function findResolution(au: Buffer, codec: 'h264' | 'h265'): VideoResolution | undefined {
  for (const nal of splitAnnexB(au)) {
    try {
      if (codec === 'h264' && h264NalType(nal) === H264_NAL.SPS) return parseH264Sps(nal);
      if (codec === 'h265' && h265NalType(nal) === H265_NAL.SPS) return parseH265Sps(nal);
    } catch (e) {
      if (!(e instanceof Gb28181Error)) throw e;
    }
  }
  return undefined;
}
