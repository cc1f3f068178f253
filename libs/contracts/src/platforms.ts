/** Registration state of a superior platform (docs/cascade.md "API"). */
export type PlatformState = 'registering' | 'online' | 'failed' | 'disabled';

/**
 * GET /api/platforms: a superior platform as the API shows it — settings (never the password) and the registration
 * state. The gateway answers it (apps/gateway/src/cascade) and the dashboard reads it (web/src/pages/platforms.page.ts).
 */
export interface PlatformDto {
  id: string;
  name: string;
  serverId: string;
  domain: string;
  host: string;
  port: number;
  transport: 'udp' | 'tcp';
  /** Our ID towards this superior (the gateway's SIP_ID unless set). */
  localId: string;
  expiresS: number;
  keepaliveS: number;
  charset: string;
  shareAll: boolean;
  channels: string[];
  enabled: boolean;
  /** The node that runs this registration (docs/cascade.md, "Cluster"). */
  ownerNode: string;
  state: PlatformState;
  /** `<code>: <detail>` of the last failure; null once registered. */
  cause: string | null;
  stateAt: string | null;
  lastKeepaliveAt: string | null;
  /** When the granted registration runs out (owner node only; null elsewhere or when not registered). */
  registeredUntil: string | null;
  /** When the next REGISTER after a failure goes out (owner node only). */
  nextAttemptAt: string | null;
  createdAt: string;
  updatedAt: string;
}
