import { Injectable } from '@nestjs/common';
import type { ChannelPresetsDto, DeviceBasicConfigDto, DeviceCommandResultDto } from '@gb/contracts';
import {
  controlHasResult,
  encodeConfigDownloadQuery,
  encodeDeviceConfigBasic,
  encodeDeviceControl,
  encodePresetQuery,
  readBasicParam,
  mergePresetLists,
  presetAnswerComplete,
  responseResult,
  type BasicParamSet,
  type DeviceControlCommand,
  type ManscdpMessage,
} from '@gb/gb28181';
import { GatewayError } from '../common/gateway-error';
import { CONTROL_RESULT_WAIT_MS } from './alarm-control.service';
import { DeviceQueriesService } from './device-queries.service';
import { DevicesService } from './devices.service';

/** How long a PresetQuery or ConfigDownload waits for the device's answer after its 200. */
export const DEVICE_QUERY_ANSWER_WAIT_MS = 5_000;

/**
 * DeviceControl beyond PTZ and alarms (GB/T 28181-2016 §9.3, §A.2.3.1), PresetQuery and the BasicParam
 * configuration (ConfigDownload §A.2.4.7, DeviceConfig §A.2.3.2). One MESSAGE per call, never retried here (the SIP
 * transaction retransmits over UDP until the device's 200, nothing more):
 *
 *   - commands with a Response (RecordCmd, HomePosition, DeviceConfig) wait CONTROL_RESULT_WAIT_MS for its Result:
 *     OK resolves `OK`; ERROR (a device without the feature) is DEVICE_CONTROL_FAILED; none DEVICE_CONTROL_NO_RESULT;
 *   - commands without one (TeleBoot, IFameCmd, DragZoomIn/Out) resolve `ACCEPTED` on the 200;
 *   - queries (PresetQuery, ConfigDownload) wait DEVICE_QUERY_ANSWER_WAIT_MS: Result ERROR is DEVICE_CONTROL_FAILED,
 *     no answer DEVICE_CONTROL_NO_RESULT;
 *   - a refusal (non-2xx) is DEVICE_REFUSED, no answer to the MESSAGE DEVICE_TIMEOUT, an offline device DEVICE_OFFLINE.
 */
@Injectable()
export class DeviceControlService {
  constructor(
    private readonly queries: DeviceQueriesService,
    private readonly devices: DevicesService,
  ) {}

  /** A DeviceControl command to the device or one of its channels. */
  async control(deviceId: string, command: DeviceControlCommand, channelId?: string): Promise<DeviceCommandResultDto> {
    const targetId = channelId ?? deviceId;
    await this.devices.requireChannel(deviceId, targetId);
    const name = commandName(command);
    const encode = (sn: number) => encodeDeviceControl({ sn, deviceId: targetId, command });
    if (!controlHasResult(command)) {
      const s = this.devices.requireOnline(deviceId);
      const sn = this.queries.nextSn();
      await this.queries.sendManscdp(s, encode(sn), `DeviceControl ${name}`);
      return { deviceId, targetId, command: name, sn, result: 'ACCEPTED' };
    }
    const { sn, answer } = await this.queries.request(deviceId, `DeviceControl ${name}`, encode, CONTROL_RESULT_WAIT_MS);
    requireOk(deviceId, targetId, `DeviceControl ${name}`, answer);
    return { deviceId, targetId, command: name, sn, result: 'OK' };
  }

  /** PresetQuery to a channel: its presets with their names. */
  async presets(deviceId: string, channelId: string): Promise<ChannelPresetsDto> {
    await this.devices.requireChannel(deviceId, channelId);
    const { answers } = await this.queries.requestParts(deviceId, 'PresetQuery', (sn) => encodePresetQuery({ sn, deviceId: channelId }), DEVICE_QUERY_ANSWER_WAIT_MS, presetAnswerComplete);
    const first = answers[0]!;
    if (first.cmdType !== 'PresetQuery' || first.fields['PresetList'] === undefined) requireOk(deviceId, channelId, 'PresetQuery', first, true);
    return { deviceId, channelId, presets: mergePresetLists(answers).presets };
  }

  /** ConfigDownload BasicParam. */
  async readConfig(deviceId: string): Promise<DeviceBasicConfigDto> {
    await this.devices.requireChannel(deviceId, deviceId);
    const { answer } = await this.queries.request(deviceId, 'ConfigDownload', (sn) => encodeConfigDownloadQuery({ sn, deviceId }), DEVICE_QUERY_ANSWER_WAIT_MS);
    requireOk(deviceId, deviceId, 'ConfigDownload', answer, true);
    if (answer.cmdType !== 'ConfigDownload' || answer.fields['BasicParam'] === undefined) {
      throw new GatewayError('DEVICE_CONTROL_FAILED', `device ${deviceId} answered the ConfigDownload without a BasicParam`, { deviceId });
    }
    return { deviceId, ...readBasicParam(answer) };
  }

  /** DeviceConfig BasicParam (only the given fields), then the configuration as the device now reports it. */
  async writeConfig(deviceId: string, basic: BasicParamSet): Promise<DeviceCommandResultDto> {
    await this.devices.requireChannel(deviceId, deviceId);
    const { sn, answer } = await this.queries.request(deviceId, 'DeviceConfig BasicParam', (n) => encodeDeviceConfigBasic({ sn: n, deviceId, basic }), CONTROL_RESULT_WAIT_MS);
    requireOk(deviceId, deviceId, 'DeviceConfig', answer);
    return { deviceId, targetId: deviceId, command: 'DeviceConfig', sn, result: 'OK' };
  }
}

function commandName(c: DeviceControlCommand): DeviceCommandResultDto['command'] {
  switch (c.kind) {
    case 'teleBoot':
      return 'TeleBoot';
    case 'record':
      return c.record ? 'Record' : 'StopRecord';
    case 'keyframe':
      return 'IFameCmd';
    case 'dragZoom':
      return c.direction === 'in' ? 'DragZoomIn' : 'DragZoomOut';
    case 'homePosition':
      return 'HomePosition';
  }
}

/** Result OK, or DEVICE_CONTROL_FAILED naming what the device said. `absentIsOk`: a query answer may omit its Result. */
function requireOk(deviceId: string, targetId: string, what: string, answer: ManscdpMessage, absentIsOk = false): void {
  const result = responseResult(answer);
  if (answer.root === 'Response' && (result === 'OK' || (absentIsOk && result === null))) return;
  throw new GatewayError('DEVICE_CONTROL_FAILED', `device ${deviceId} answered the ${what} with Result ${JSON.stringify(result ?? 'none')}`, { deviceId, targetId, result: result ?? '' });
}
