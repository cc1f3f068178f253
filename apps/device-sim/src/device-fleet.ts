import { EventEmitter } from 'node:events';
import { SimulatedDevice, type RegistrationOutcome, type SimulatedDeviceEvents, type StopOptions } from './simulated-device';
import { deviceOptionsAt, type FleetDeviceTemplate } from './sim-options';
import type { InviteHook } from './media/invite-hook';

/** Shared settings (fallbackServers and serverTimeoutMs included: every device gets the same backup addresses). */
export interface DeviceFleetOptions extends FleetDeviceTemplate {
  count: number;
  /** Registrations started per second (ramp); 0 or Infinity = all at once. Default 50. */
  ratePerSecond?: number;
  onInvite?: InviteHook;
}

export interface FleetStats {
  devices: number;
  started: number;
  registered: number;
  /** Devices currently in state `registered`. */
  online: number;
  unauthorized: number;
  forbidden: number;
  errors: number;
  keepalivesSent: number;
  keepalivesAnswered: number;
  queries: number;
  catalogPackets: number;
  retransmissions: number;
  invitesReceived: number;
  ptzCommands: number;
  /** Moves to another platform address, over all devices (fallbackServers). */
  serverChanges: number;
  /** Registration time (first REGISTER to 200, ms) over the devices that registered. */
  registerMs: { p50: number; p95: number; max: number } | null;
}

/** Fleet events: every device event, re-emitted with the device first. */
export type DeviceFleetEvents = {
  [K in keyof SimulatedDeviceEvents]: [device: SimulatedDevice, ...args: SimulatedDeviceEvents[K]];
};

/** N simulated devices sharing one template, started at a fixed rate, with aggregated stats. */
export class DeviceFleet extends EventEmitter<DeviceFleetEvents> {
  readonly devices: SimulatedDevice[] = [];
  private errors = 0;
  private startPromise?: Promise<RegistrationOutcome[]>;
  private stopPromise?: Promise<void>;
  private stopping = false;

  constructor(readonly options: DeviceFleetOptions) {
    super();
    for (let i = 0; i < options.count; i++) {
      const d = new SimulatedDevice(deviceOptionsAt(options, i), { onInvite: options.onInvite });
      this.forward(d);
      this.devices.push(d);
    }
  }

  /** Starts every device at `ratePerSecond`; resolves with each first registration outcome. */
  start(): Promise<RegistrationOutcome[]> {
    this.startPromise ??= this.doStart();
    return this.startPromise;
  }

  private async doStart(): Promise<RegistrationOutcome[]> {
    const rate = this.options.ratePerSecond ?? 50;
    const gapMs = rate > 0 && Number.isFinite(rate) ? 1000 / rate : 0;
    const t0 = Date.now();
    const outcomes: Promise<RegistrationOutcome>[] = [];
    for (let i = 0; i < this.devices.length; i++) {
      if (this.stopping) break;
      const due = t0 + i * gapMs;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (this.stopping) break;
      outcomes.push(this.devices[i]!.start().catch((e: Error) => {
        this.errors++;
        this.emit('error', this.devices[i]!, e);
        return 'failed' as const;
      }));
    }
    return Promise.all(outcomes);
  }

  /** Idempotent; stops every device (unregistering by default) in parallel. */
  stop(opts: StopOptions = {}): Promise<void> {
    this.stopping = true;
    this.stopPromise ??= Promise.all(this.devices.map((d) => (d.state === 'idle' ? Promise.resolve() : d.stop(opts)))).then(() => undefined);
    return this.stopPromise;
  }

  stats(): FleetStats {
    const s: FleetStats = {
      devices: this.devices.length, started: 0, registered: 0, online: 0, unauthorized: 0, forbidden: 0, errors: this.errors,
      keepalivesSent: 0, keepalivesAnswered: 0, queries: 0, catalogPackets: 0, retransmissions: 0,
      invitesReceived: 0, ptzCommands: 0, serverChanges: 0, registerMs: null,
    };
    const times: number[] = [];
    for (const d of this.devices) {
      const ds = d.stats;
      if (d.state !== 'idle') s.started++;
      if (ds.registered > 0) s.registered++;
      if (d.state === 'registered') s.online++;
      s.unauthorized += ds.unauthorized;
      s.forbidden += ds.forbidden;
      s.keepalivesSent += ds.keepalivesSent;
      s.keepalivesAnswered += ds.keepalivesAnswered;
      s.queries += ds.queries;
      s.catalogPackets += ds.catalogPackets;
      s.retransmissions += ds.retransmissions;
      s.invitesReceived += ds.invitesReceived;
      s.ptzCommands += ds.ptzCommands;
      s.serverChanges += ds.serverChanges;
      if (ds.lastRegisterMs !== null) times.push(ds.lastRegisterMs);
    }
    if (times.length > 0) {
      times.sort((a, b) => a - b);
      const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
      s.registerMs = { p50: at(0.5), p95: at(0.95), max: times[times.length - 1]! };
    }
    return s;
  }

  private forward(d: SimulatedDevice): void {
    const names: (keyof SimulatedDeviceEvents)[] = [
      'registered', 'unauthorized', 'forbidden', 'unregistered', 'keepalive', 'query', 'invite', 'ptz', 'server-changed', 'error',
    ];
    for (const name of names) {
      d.on(name, (...args: unknown[]) => {
        if (name === 'error') {
          this.errors++;
          if (this.listenerCount('error') === 0) return;
        }
        try {
          (this.emit as (n: string, ...a: unknown[]) => boolean)(name, d, ...args);
        } catch {
          // a throwing fleet listener must not break the device
        }
      });
    }
  }
}
