import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { DeviceAlarmDto } from '@gb/contracts';
import { encodeAlarmNotify, encodeControl, encodeManscdpMessage, type ManscdpCharset, type ManscdpMessage } from '@gb/gb28181';
import { DeviceMessagesService } from '../devices/device-messages.service';
import { DeviceQueriesService } from '../devices/device-queries.service';
import { DevicesService } from '../devices/devices.service';
import { EventBus } from '../events/event-bus';
import { formatGbTime } from '../records/record-time';
import { CascadeService, type SuperiorPeer } from './cascade.service';
import { relayableControl } from './device-control-relay';
import { fitText } from './shared-catalog';
import type { SharedChannelRef } from './shared-channels.service';
import { SuperiorSender } from './superior-sender';

/** How long a relayed RecordCmd / GuardCmd / AlarmCmd waits for the camera's DeviceControl Response after its 200. */
export const CONTROL_RESPONSE_WAIT_MS = 3_000;
/** Most relayed controls waiting for a camera's Response at once. */
export const MAX_PENDING_CONTROL_RESPONSES = 256;
/** Most alarm MESSAGEs to superiors in flight at once; past it an alarm is not passed upward (logged). */
export const MAX_ALARMS_IN_FLIGHT = 64;

interface PendingResponse {
  resolve(result: string | null): void;
  timer: NodeJS.Timeout;
}

/**
 * Control and events between a superior and the cameras (issue 11 item 5):
 *
 * - DeviceControl from the superior for a shared channel is relayed to the camera (the DeviceQueriesService path
 *   PtzController uses) with the fields device-control-relay.ts lets through; the superior then gets
 *   `<Response><CmdType>DeviceControl</CmdType>…<Result>OK|ERROR</Result>` under its SN: OK once the camera
 *   answered 200 (for RecordCmd/GuardCmd/AlarmCmd: the camera's own Result when its Response comes within
 *   CONTROL_RESPONSE_WAIT_MS), ERROR when it refused, did not answer, is offline or the command is not passed on.
 *   DeviceControl for our own ID (the platform itself): ERROR; a control of another CmdType: ERROR.
 * - A camera's alarm (device.alarm) goes to every online superior that shares the alarming channel as an Alarm
 *   Notify MESSAGE (DeviceID = the channel; priority, method, time, description, type and position as the camera
 *   sent them) in that superior's charset.
 */
@Injectable()
export class SuperiorControlService implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('cascade');
  private readonly pending = new Map<string, PendingResponse>();
  private unsubscribe: Array<() => void> = [];
  private alarmsInFlight = 0;

  constructor(
    private readonly cascade: CascadeService,
    private readonly devices: DevicesService,
    private readonly queries: DeviceQueriesService,
    private readonly messages: DeviceMessagesService,
    private readonly events: EventBus,
    private readonly sender: SuperiorSender,
  ) {}

  onModuleInit(): void {
    this.unsubscribe.push(
      this.messages.subscribe((deviceId, m) => this.onDeviceMessage(deviceId, m)),
      this.events.subscribe((e) => {
        if (e.type === 'device.alarm') this.forwardAlarm(e.data);
      }),
    );
  }

  onModuleDestroy(): void {
    for (const u of this.unsubscribe) u();
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.resolve(null);
    }
    this.pending.clear();
  }

  /** Relays a DeviceControl to the channel's camera and answers the superior with the outcome. */
  async relay(peer: SuperiorPeer, m: ManscdpMessage, ref: SharedChannelRef | null): Promise<void> {
    const charset = peer.platform.charset as ManscdpCharset;
    const answer = (result: 'OK' | 'ERROR') => this.sender.message(peer, encodeManscdpMessage('Response', 'DeviceControl', m.sn, m.deviceId, { Result: result }, charset)).catch(() => undefined);
    const relay = relayableControl(m.fields);
    if (!ref || !relay.ok) {
      this.log.log(`superior platform ${peer.platform.id}: DeviceControl for ${m.deviceId} not passed on: ${ref ? (relay as { reason: string }).reason : 'it is this platform'}`);
      await answer('ERROR');
      return;
    }
    const session = this.devices.get(ref.deviceId);
    if (!session?.online) {
      this.log.log(`superior platform ${peer.platform.id}: DeviceControl for ${m.deviceId}: device ${ref.deviceId} is offline or on another node`);
      await answer('ERROR');
      return;
    }
    const sn = this.queries.nextSn();
    const key = `${ref.deviceId}:${sn}`;
    const waited = relay.awaitsResponse && this.pending.size < MAX_PENDING_CONTROL_RESPONSES ? this.awaitResponse(key) : null;
    try {
      await this.queries.sendManscdp(session, encodeControl('DeviceControl', sn, m.deviceId, relay.fields), 'DeviceControl');
    } catch (e) {
      this.cancel(key);
      this.log.log(`superior platform ${peer.platform.id}: DeviceControl for ${m.deviceId}: ${(e as Error).message}`);
      await answer('ERROR');
      return;
    }
    if (relay.ptz) this.events.publish('ptz.sent', { deviceId: ref.deviceId, channelId: m.deviceId, action: relay.ptz.action, movesCamera: relay.ptz.movesCamera });
    const result = waited ? await waited : null;
    await answer(result === null || result.toUpperCase() === 'OK' ? 'OK' : 'ERROR');
  }

  /** A `<Control>` we do not carry out (DeviceConfig, …): its Response with Result ERROR. */
  async refuse(peer: SuperiorPeer, m: ManscdpMessage): Promise<void> {
    await this.sender.message(peer, encodeManscdpMessage('Response', m.cmdType.slice(0, 32).replace(/[^A-Za-z]/g, '') || 'DeviceControl', m.sn, m.deviceId, { Result: 'ERROR' }, peer.platform.charset as ManscdpCharset)).catch(() => undefined);
  }

  private awaitResponse(key: string): Promise<string | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(key);
        resolve(null);
      }, CONTROL_RESPONSE_WAIT_MS);
      timer.unref();
      this.pending.set(key, { resolve, timer });
    });
  }

  private cancel(key: string): void {
    const p = this.pending.get(key);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(key);
    p.resolve(null);
  }

  private onDeviceMessage(deviceId: string, m: ManscdpMessage): void {
    if (m.root !== 'Response' || m.cmdType !== 'DeviceControl') return;
    const key = `${deviceId}:${m.sn}`;
    const p = this.pending.get(key);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(key);
    const result = m.fields['Result'];
    p.resolve(typeof result === 'string' ? result.trim() : 'ERROR');
  }

  /** device.alarm → an Alarm Notify MESSAGE to every online superior sharing the channel. */
  private forwardAlarm(a: DeviceAlarmDto): void {
    for (const peer of this.cascade.onlineSuperiors()) {
      const p = peer.platform;
      if (!p.shareAll && !p.channels.includes(a.channelId)) continue;
      if (this.alarmsInFlight >= MAX_ALARMS_IN_FLIGHT) {
        this.log.warn(`alarm of ${a.channelId} not passed to superior platform ${p.id}: ${MAX_ALARMS_IN_FLIGHT} alarms in flight`);
        continue;
      }
      const charset = p.charset as ManscdpCharset;
      let body: Buffer;
      try {
        body = encodeAlarmNotify({
          sn: this.sender.nextSn(),
          deviceId: a.channelId,
          priority: token(a.priority) ?? 1,
          method: token(a.method) ?? 7,
          time: a.time && /^[\dT:. -]{1,32}$/.test(a.time) ? a.time : formatGbTime(Math.floor(Date.now() / 1000)),
          ...(a.description !== null ? { description: fitText(a.description, charset) } : {}),
          ...(a.longitude !== null ? { longitude: a.longitude } : {}),
          ...(a.latitude !== null ? { latitude: a.latitude } : {}),
          ...(token(a.type) !== null ? { alarmType: token(a.type)! } : {}),
          charset,
        });
      } catch (e) {
        this.log.warn(`alarm of ${a.channelId} for superior platform ${p.id}: ${(e as Error).message}`);
        continue;
      }
      this.alarmsInFlight++;
      this.sender
        .message(peer, body)
        .then((res) => {
          if (res.status >= 300) this.log.warn(`superior platform ${p.id} refused the alarm of ${a.channelId}: ${res.status} ${res.reason}`);
        })
        .catch((e: Error) => this.log.warn(`alarm of ${a.channelId} to superior platform ${p.id}: ${e.message}`))
        .finally(() => this.alarmsInFlight--);
    }
  }
}

/** A short alphanumeric value as sent by the camera, or null (priority, method and type are digits in practice). */
function token(v: string | null): string | null {
  return v !== null && /^[A-Za-z0-9]{1,8}$/.test(v.trim()) ? v.trim() : null;
}
