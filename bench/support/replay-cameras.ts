import { buildGbAnswer, parseSdp } from '../../libs/gb28181/src';
import { SimulatedDevice, buildChannels, channelId, offsetGbId, type InviteHook } from '../../apps/device-sim/src';
import type { RtpReplayer } from './rtp-replayer';

export interface ReplayCamerasOptions {
  sipHost: string;
  sipPort: number;
  /** Channels in all (spread over devices of at most `channelsPerDevice`). */
  channels: number;
  /** The simulator answers at most 64 simultaneous INVITE dialogs per device. */
  channelsPerDevice?: number;
  firstDeviceId?: string;
  /** Cameras honour DeviceControl IFameCmd (a keyframe next, see ReplayHandle.keyframeNow). Default false. */
  honourKeyframeRequests?: boolean;
}

export interface ReplayCamera {
  deviceId: string;
  channelId: string;
}

export interface ReplayCameras {
  cameras: ReplayCamera[];
  /** Media streams the cameras are sending now. */
  readonly sending: number;
  /** When the ACK of the last INVITE to this channel arrived (performance.now()). */
  ackAt(channelId: string): number | undefined;
  stop(): Promise<void>;
}

/**
 * Simulated devices (registration, keepalive, catalog from apps/device-sim) whose INVITE hook answers with
 * buildGbAnswer and, once ACKed, has the shared replayer send the pre-muxed clip with the offered SSRC (y=),
 * over UDP or TCP (the device connects when the platform offers TCP/RTP/AVP a=setup:passive).
 */
export async function startReplayCameras(replayer: RtpReplayer, o: ReplayCamerasOptions): Promise<ReplayCameras> {
  const perDevice = o.channelsPerDevice ?? 50;
  const first = o.firstDeviceId ?? '34020000001320000001';
  const acks = new Map<string, number>();
  const handles = new Map<string, { stop(): void; keyframeNow(): void }>();
  let sending = 0;
  const hook: InviteHook = async (ctx) => {
    const offer = parseSdp(ctx.offer);
    const m = offer.media.find((x) => x.type === 'video') ?? offer.media[0];
    const host = m?.connection?.address ?? offer.connection?.address;
    if (!m || !host) return { status: 488 };
    const tcp = /^TCP\//i.test(m.protocol);
    if (tcp && m.setup === 'active') return { status: 488, reason: 'TCP active not replayed' };
    const ssrc = offer.ssrc ?? '0';
    const localPort = tcp ? 9 : await replayer.open();
    const sdp = buildGbAnswer({ offer, deviceId: ctx.channelId, ip: ctx.localHost, port: localPort, ssrc });
    let handle: { stop(): void; keyframeNow(): void } | undefined;
    let stopped = false;
    return {
      status: 200,
      sdp,
      onAck: () => {
        acks.set(ctx.channelId, performance.now());
        void replayer.start({ transport: tcp ? 'tcp' : 'udp', host, port: m.port, ssrc: Number(ssrc) >>> 0 }).then(
          (h) => {
            if (stopped) return h.stop();
            handle = h;
            handles.set(ctx.channelId, h);
            sending++;
          },
          () => undefined,
        );
      },
      onBye: () => {
        if (stopped) return;
        stopped = true;
        if (handle) sending--;
        if (handle && handles.get(ctx.channelId) === handle) handles.delete(ctx.channelId);
        handle?.stop();
      },
    };
  };
  const devices: SimulatedDevice[] = [];
  const cameras: ReplayCamera[] = [];
  try {
    for (let d = 0; d * perDevice < o.channels; d++) {
      const deviceId = offsetGbId(first, d);
      const count = Math.min(perDevice, o.channels - d * perDevice);
      const device = new SimulatedDevice(
        {
          deviceId, serverHost: o.sipHost, serverPort: o.sipPort, serverId: '34020000002000000001', domain: '3402000000', password: '',
          transport: 'udp', localHost: '127.0.0.1', expires: 3600, keepaliveSeconds: 60, charset: 'GB2312', catalogPerMessage: 10,
          channels: buildChannels(deviceId, d, count), manufacturer: 'GBSIM', model: 'REPLAY', firmware: '1', name: `replay ${d + 1}`, retryDelayMs: 0,
        },
        { onInvite: hook },
      );
      device.on('error', () => undefined);
      if (o.honourKeyframeRequests) device.on('query', (q) => {
        if (q.fields?.['IFameCmd'] !== undefined) handles.get(q.targetId ?? '')?.keyframeNow();
      });
      devices.push(device);
      const outcome = await device.start();
      if (outcome !== 'registered') throw new Error(`replay camera ${deviceId} could not register: ${outcome}`);
      for (let i = 1; i <= count; i++) cameras.push({ deviceId, channelId: channelId(deviceId, i) });
    }
  } catch (e) {
    await Promise.all(devices.map((x) => x.stop({ unregister: false })));
    throw e;
  }
  return {
    cameras,
    get sending() {
      return sending;
    },
    ackAt: (id) => acks.get(id),
    stop: async () => {
      await Promise.all(devices.map((x) => x.stop({ unregister: false })));
    },
  };
}
