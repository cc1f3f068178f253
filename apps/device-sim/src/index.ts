// Public surface of the device simulator, for e2e tests and benchmarks running it in-process.
export { SimulatedDevice, MANSCDP_CONTENT_TYPE, REFRESH_FRACTION, MAX_MISSED_KEEPALIVES } from './simulated-device';
export type { DeviceState, RegistrationOutcome, SimulatedDeviceStats, SimulatedDeviceEvents, StopOptions } from './simulated-device';
export { DeviceFleet } from './device-fleet';
export type { DeviceFleetOptions, DeviceFleetEvents, FleetStats } from './device-fleet';
export { DeviceResponder } from './device-responder';
export type { QueryEvent } from './device-responder';
export {
  buildChannels, channelId, channelName, chineseOrdinal, deviceOptionsAt, offsetGbId,
  DEFAULT_SERVER_ID, DEFAULT_FIRST_DEVICE_ID, DEFAULT_CIVIL_CODE,
} from './sim-options';
export type { SimulatedDeviceOptions, FleetDeviceTemplate, SimTransport } from './sim-options';
export { parseCliArgs, HELP } from './cli-args';
export type { CliOptions } from './cli-args';
export type { InviteHook, InviteContext, InviteAnswer } from './media/invite-hook';
export { createTestPatternInviteHook } from './media/test-pattern-invite.hook';
export { PsRtpSender } from './media/ps-rtp.sender';
export type { PsRtpSenderOptions } from './media/ps-rtp.sender';
export { TestPatternSource } from './media/test-pattern.source';
export type { TestPatternOptions } from './media/test-pattern.source';
