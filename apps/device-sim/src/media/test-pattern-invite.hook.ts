import type { InviteHook } from './invite-hook';
import { DeviceMediaSimulator, type DeviceMediaOptions } from './device-media.simulator';

/**
 * An InviteHook answering live, playback and download INVITEs with an ffmpeg test pattern as PS over
 * RTP (UDP, TCP passive or TCP active). A shorthand for `new DeviceMediaSimulator(options).hook`.
 */
export function createTestPatternInviteHook(options: DeviceMediaOptions = {}): InviteHook {
  return new DeviceMediaSimulator(options).hook;
}
