import { Injectable } from '@nestjs/common';
import type { DeviceControlResultDto } from '@gb/contracts';
import { encodeAlarmReset, encodeGuardCmd } from '@gb/gb28181';
import { GatewayError } from '../common/gateway-error';
import { DeviceQueriesService } from './device-queries.service';
import { DevicesService } from './devices.service';

/** How long a device has, after its 200, to send the DeviceControl Response with its Result (§A.2.6.1). */
export const CONTROL_RESULT_WAIT_MS = 3_000;

/**
 * Alarm reset and guard (GB/T 28181-2016 §9.3, §A.2.3.1: DeviceControl `AlarmCmd ResetAlarm` with its optional
 * `<Info>`, `GuardCmd SetGuard / ResetGuard`) for a device or one of its channels. The device answers 200, then a
 * `<Response><CmdType>DeviceControl</CmdType>…<Result>` under our SN: OK resolves; ERROR is DEVICE_CONTROL_FAILED;
 * no Response within CONTROL_RESULT_WAIT_MS is DEVICE_CONTROL_NO_RESULT; a refusal DEVICE_REFUSED, no answer to the
 * MESSAGE DEVICE_TIMEOUT, an offline device DEVICE_OFFLINE.
 */
@Injectable()
export class AlarmControlService {
  constructor(
    private readonly queries: DeviceQueriesService,
    private readonly devices: DevicesService,
  ) {}

  async resetAlarm(deviceId: string, o: { channelId?: string; alarmMethod?: string; alarmType?: string }): Promise<DeviceControlResultDto> {
    const targetId = o.channelId ?? deviceId;
    await this.devices.requireChannel(deviceId, targetId);
    return this.send(deviceId, targetId, 'ResetAlarm', (sn) =>
      encodeAlarmReset({ sn, deviceId: targetId, ...(o.alarmMethod !== undefined ? { alarmMethod: o.alarmMethod } : {}), ...(o.alarmType !== undefined ? { alarmType: o.alarmType } : {}) }),
    );
  }

  async guard(deviceId: string, guard: boolean, channelId?: string): Promise<DeviceControlResultDto> {
    const targetId = channelId ?? deviceId;
    await this.devices.requireChannel(deviceId, targetId);
    return this.send(deviceId, targetId, guard ? 'SetGuard' : 'ResetGuard', (sn) => encodeGuardCmd({ sn, deviceId: targetId, guard }));
  }

  private async send(deviceId: string, targetId: string, command: DeviceControlResultDto['command'], encode: (sn: number) => Buffer): Promise<DeviceControlResultDto> {
    const { sn, answer } = await this.queries.request(deviceId, `DeviceControl ${command}`, encode, CONTROL_RESULT_WAIT_MS);
    const result = answer.fields['Result'];
    const text = typeof result === 'string' ? result.trim() : '';
    if (answer.root !== 'Response' || text.toUpperCase() !== 'OK') {
      throw new GatewayError('DEVICE_CONTROL_FAILED', `device ${deviceId} answered the DeviceControl ${command} with Result ${JSON.stringify(text.slice(0, 32) || 'none')}`, { deviceId, targetId, result: text.slice(0, 32) });
    }
    return { deviceId, targetId, command, sn, result: 'OK' };
  }
}
