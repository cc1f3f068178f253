import type { StreamTransport } from '@gb/contracts';
import type { StreamSignalling } from './stream-session';

/**
 * Channels whose media comes from no registered GB device (stream proxies, apps/gateway/src/proxies): the streams
 * service asks these before the device registry, so that every channel route (play, snapshot, watch, the wall) works
 * on them. The signalling's "INVITE" starts the source and its answer comes once media flows to the offered port.
 */
export interface VirtualSource {
  /** true for the virtual device IDs this source serves. */
  owns(deviceId: string): boolean;
  /** Throws CHANNEL_NOT_FOUND for a channel it does not have. */
  requireChannel(deviceId: string, channelId: string): Promise<void>;
  /** The virtual device ID of one of its channels (routes given a channel ID only), null when it has no such channel. */
  deviceOfChannel(channelId: string): Promise<string | null>;
  /** How the source's media reaches the session's port (TCP passive: the gateway listens, the source connects). */
  readonly transport: StreamTransport;
  signalling(deviceId: string, channelId: string): StreamSignalling;
}
