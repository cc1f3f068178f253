// Public surface of the device simulator, for e2e tests and benchmarks running it in-process.
export { SimulatedDevice, MANSCDP_CONTENT_TYPE, REFRESH_FRACTION, MAX_MISSED_KEEPALIVES, SIM_POSITION_PATH, SIM_SPEED_MPS, simPositionAt } from './simulated-device';
export type { DeviceState, RegistrationOutcome, SimulatedDeviceStats, SimulatedDeviceEvents, StopOptions } from './simulated-device';
export { DeviceFleet } from './device-fleet';
export type { DeviceFleetOptions, DeviceFleetEvents, FleetStats } from './device-fleet';
export { DeviceResponder, SIM_HEARTBEAT_COUNT, SIM_PRESETS, SIM_RECORDS_PER_QUERY, simRecords } from './device-responder';
export type { QueryEvent, InviteReceivedEvent } from './device-responder';
export { SimSubscriptions, SIM_MAX_SUBSCRIPTIONS, SIM_MAX_SUBSCRIPTION_S } from './sim-subscriptions';
export type { SubscribeEvent, SimSubscriptionEvent } from './sim-subscriptions';
export {
  buildChannels, channelId, channelName, chineseOrdinal, deviceOptionsAt, offsetGbId,
  DEFAULT_SERVER_ID, DEFAULT_FIRST_DEVICE_ID, DEFAULT_CIVIL_CODE,
} from './sim-options';
export type { SimulatedDeviceOptions, FleetDeviceTemplate, SimTransport, SimServerAddress } from './sim-options';
export { parseCliArgs, HELP } from './cli-args';
export type { CliOptions } from './cli-args';
export type { InviteHook, InviteContext, InviteAnswer } from './media/invite-hook';
export { createTestPatternInviteHook } from './media/test-pattern-invite.hook';
export { PsRtpSender } from './media/ps-rtp.sender';
export type { PsRtpSenderOptions, PsRtpSenderTransport, PsRtpSenderStats } from './media/ps-rtp.sender';
export { TestPatternSource } from './media/test-pattern.source';
export type { TestPatternOptions } from './media/test-pattern.source';
export { DeviceMediaSimulator, wrongSsrcFor } from './media/device-media.simulator';
export type { DeviceMediaOptions, DeviceMediaStats, DeviceMediaEvents, SimInviteEvent, SimInfoEvent } from './media/device-media.simulator';
export { MediaSource, ffmpegArgs, G711_FRAME_BYTES } from './media/media-source';
export type { MediaSourceOptions, MediaUnit, SimVideoCodec, SimAudioCodec } from './media/media-source';
export { MediaPacer } from './media/media-pacer';
export { SimMediaSession } from './media/sim-media.session';
export type { SimSessionKind } from './media/sim-media.session';
export { RtpImpairment, mulberry32 } from './media/rtp-impairment';
export type { RtpImpairmentOptions } from './media/rtp-impairment';
export { parseMansrtsp } from './media/mansrtsp.parser';
export type { MansrtspRequest } from './media/mansrtsp.parser';
export { ffmpegPath } from './media/ffmpeg-path';
export { SimVoice } from './media/sim-voice';
export type { SimVoiceOptions, SimVoiceStats } from './media/sim-voice';
