import type { DeviceCharset, StreamTransport } from '@gb/contracts';
import type { SipFlow } from '../sip/sip-flow';

/**
 * What the gateway knows about one device, in memory. The database is written behind it in batches
 * (keepalives must not cost a write each); at boot the sessions are loaded back from it.
 */
export interface DeviceSession {
  deviceId: string;
  name: string | null;
  flow: SipFlow;
  contactUri: string | null;
  expires: number;
  registeredAt: number | null;
  registrationExpiresAt: number | null;
  lastKeepaliveAt: number | null;
  online: boolean;
  manufacturer: string | null;
  model: string | null;
  firmware: string | null;
  channelCount: number;
  catalogSyncedAt: number | null;
  /** Per-device settings (cached copy of device_settings). */
  password: string | null;
  charset: DeviceCharset;
  streamTransport: StreamTransport;
}

/** A device the gateway has not heard from before: offline, unregistered, default settings. */
export function newDeviceSession(deviceId: string, flow: SipFlow): DeviceSession {
  return {
    deviceId,
    name: null,
    flow,
    contactUri: null,
    expires: 0,
    registeredAt: null,
    registrationExpiresAt: null,
    lastKeepaliveAt: null,
    online: false,
    manufacturer: null,
    model: null,
    firmware: null,
    channelCount: 0,
    catalogSyncedAt: null,
    password: null,
    charset: 'auto',
    streamTransport: 'tcp-passive',
  };
}
