/**
 * Which video a player asks for: browsers whose MSE has no HEVC (Chromium on Linux, Firefox) ask POST …/play for
 * H.264 (`codec: "h264"`): an H.265 camera is then answered with its H.264 rendition (a transcode on the gateway),
 * an H.264 camera with itself.
 */

/** MSE types an H.265 (fMP4 HLS) stream needs: either sample-entry form (hvc1 or hev1), Main profile, level 3.1. */
export const HEVC_MSE_TYPES = ['video/mp4; codecs="hvc1.1.6.L93.B0"', 'video/mp4; codecs="hev1.1.6.L93.B0"'] as const;

/** Whether this browser's MSE decodes H.265 (`isTypeSupported` of MediaSource; none: no MSE, no HEVC). */
export function browserDecodesHevc(isTypeSupported: ((type: string) => boolean) | undefined = mseTypeCheck()): boolean {
  if (!isTypeSupported) return false;
  return HEVC_MSE_TYPES.some((t) => {
    try {
      return isTypeSupported(t);
    } catch {
      return false;
    }
  });
}

/** This page's MediaSource.isTypeSupported, if it has MSE (read without the DOM types: this file is also tested in Node). */
function mseTypeCheck(): ((type: string) => boolean) | undefined {
  const ms = (globalThis as { MediaSource?: { isTypeSupported?: (type: string) => boolean } }).MediaSource;
  return ms?.isTypeSupported ? (t) => ms.isTypeSupported!(t) : undefined;
}

/** The play body for a browser that does (or does not) decode H.265: `codec: "h264"` added when it does not. */
export function playBody<T extends Record<string, unknown>>(body: T, hevc: boolean): T & { codec?: 'h264' } {
  return hevc ? body : { ...body, codec: 'h264' };
}

/** 'webrtc': WebRTC (WHEP) first, HTTP-FLV when it does not play within WEBRTC_START_MS or is refused. */
export type PlayMode = 'webrtc' | 'hls' | 'flv';
/** What a player actually plays over. */
export type PlayTransport = 'webrtc' | 'hls' | 'flv';

const PLAY_MODES: readonly PlayMode[] = ['webrtc', 'flv', 'hls'];
/** localStorage key of the transport preference (a debugging switch beside ?transport= in the page URL). */
export const TRANSPORT_KEY = 'gbgw.transport';

/**
 * The transport players start with: `?transport=flv|hls|webrtc` in the page's URL (before the #route), else the
 * one saved in localStorage (TRANSPORT_KEY), else WebRTC first. `?transport=flv` brings back the FLV-first behaviour.
 */
export function preferredTransport(search = (globalThis as { location?: { search?: string } }).location?.search ?? '', stored: string | null = readStored()): PlayMode {
  const q = new URLSearchParams(search).get('transport');
  for (const v of [q, stored]) if (v && (PLAY_MODES as readonly string[]).includes(v)) return v as PlayMode;
  return 'webrtc';
}

function readStored(): string | null {
  try {
    return (globalThis as { localStorage?: { getItem(k: string): string | null } }).localStorage?.getItem(TRANSPORT_KEY) ?? null;
  } catch {
    return null;
  }
}
