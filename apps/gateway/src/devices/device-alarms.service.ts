import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { DeviceAlarmDto } from '@gb/contracts';
import { encodeAlarmResponse, type ManscdpMessage } from '@gb/gb28181';
import { EventBus } from '../events/event-bus';
import { DeviceQueriesService } from './device-queries.service';
import type { DeviceSession } from './device-session';

/** Device alarms kept in memory, newest last; older ones are dropped (they went out on the WebSocket when they came). */
export const MAX_DEVICE_ALARMS = 1000;
/** Most alarms one GET returns. */
export const MAX_DEVICE_ALARMS_LISTED = 500;
/** Longest text kept from a device's AlarmDescription (a peer-controlled size). */
export const MAX_ALARM_DESCRIPTION = 256;

type AlarmMessage = Extract<ManscdpMessage, { kind: 'Alarm' }>;

/**
 * Alarms devices report (GB/T 28181 §9.4: motion, video loss, tamper, I/O, faults): acknowledged to the device with
 * a `<Response><CmdType>Alarm</CmdType><Result>OK</Result>` MESSAGE (after the 200 to its Notify), kept in a bounded
 * in-memory list and published as `device.alarm` events.
 */
@Injectable()
export class DeviceAlarmsService {
  private readonly log = new Logger('alarms');
  private readonly alarms: DeviceAlarmDto[] = [];

  constructor(
    private readonly queries: DeviceQueriesService,
    private readonly events: EventBus,
  ) {}

  onAlarm(s: DeviceSession, m: AlarmMessage): DeviceAlarmDto {
    const alarm: DeviceAlarmDto = {
      id: randomUUID(),
      deviceId: s.deviceId,
      channelId: m.deviceId || s.deviceId,
      priority: m.alarmPriority,
      method: m.alarmMethod,
      time: m.alarmTime,
      description: m.alarmDescription === null ? null : m.alarmDescription.slice(0, MAX_ALARM_DESCRIPTION),
      type: m.alarmType,
      longitude: m.longitude,
      latitude: m.latitude,
      receivedAt: new Date().toISOString(),
    };
    this.alarms.push(alarm);
    if (this.alarms.length > MAX_DEVICE_ALARMS) this.alarms.splice(0, this.alarms.length - MAX_DEVICE_ALARMS);
    this.events.publish('device.alarm', alarm);
    this.queries.sendManscdp(s, encodeAlarmResponse(m.sn, m.deviceId || s.deviceId), 'Alarm response').catch((e: Error) => this.log.warn(`alarm response to ${s.deviceId}: ${e.message}`));
    return alarm;
  }

  /** Newest first, optionally of one device, at most `limit` (≤ MAX_DEVICE_ALARMS_LISTED). */
  list(filter: { deviceId?: string; limit?: number } = {}): DeviceAlarmDto[] {
    const limit = Math.min(filter.limit ?? 100, MAX_DEVICE_ALARMS_LISTED);
    const out: DeviceAlarmDto[] = [];
    for (let i = this.alarms.length - 1; i >= 0 && out.length < limit; i--) {
      const a = this.alarms[i]!;
      if (!filter.deviceId || a.deviceId === filter.deviceId) out.push(a);
    }
    return out;
  }
}
