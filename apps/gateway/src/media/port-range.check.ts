import { readFileSync } from 'node:fs';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';

export interface PortRange {
  min: number;
  max: number;
}

/** Linux: the ports the kernel picks for outgoing connections and unbound sockets ("ephemeral" ports). */
export const EPHEMERAL_PORT_RANGE_PATH = '/proc/sys/net/ipv4/ip_local_port_range';

/**
 * The warning to log when the RTP pool overlaps the kernel's ephemeral range, or null when it does not (or the range
 * is unknown). Inside that range any outgoing connection of this host may hold an RTP port, so binds fail with
 * EADDRINUSE at random (openOnFreePort() quarantines and retries, but the pool is effectively smaller).
 */
export function rtpRangeOverlapWarning(rtp: PortRange, ephemeral: PortRange | null): string | null {
  if (!ephemeral) return null;
  const lo = Math.max(rtp.min, ephemeral.min);
  const hi = Math.min(rtp.max, ephemeral.max);
  if (lo > hi) return null;
  const shared = hi - lo + 1;
  return (
    `RTP_PORT_MIN..RTP_PORT_MAX (${rtp.min}-${rtp.max}) overlaps the kernel's ephemeral port range ${ephemeral.min}-${ephemeral.max} ` +
    `(${EPHEMERAL_PORT_RANGE_PATH}) on ${lo}-${hi} (${shared} port${shared === 1 ? '' : 's'}): outgoing connections may hold RTP ports and make binds fail. ` +
    `Move the RTP range below ${ephemeral.min}, or narrow the ephemeral range (sysctl net.ipv4.ip_local_port_range) or reserve the RTP range (net.ipv4.ip_local_reserved_ports).`
  );
}

/** "32768\t60999\n" -> { min, max }; null for anything else. */
export function parsePortRange(text: string): PortRange | null {
  const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(text);
  if (!m) return null;
  const min = Number(m[1]);
  const max = Number(m[2]);
  return min <= max && max <= 65535 ? { min, max } : null;
}

/** The kernel's ephemeral range, or null where it cannot be read (not Linux, no /proc). */
export function readEphemeralPortRange(path = EPHEMERAL_PORT_RANGE_PATH): PortRange | null {
  try {
    return parsePortRange(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

/** At startup: warns once when the RTP pool overlaps the ephemeral range (single-port mode uses no pool for UDP/TCP passive, but TCP active still does). */
@Injectable()
export class PortRangeCheck implements OnModuleInit {
  private readonly log = new Logger('media');
  /** The warning logged at startup, if any (for health/diagnostics and tests). */
  warning: string | null = null;

  constructor(@Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig) {}

  onModuleInit(): void {
    this.warning = rtpRangeOverlapWarning({ min: this.cfg.RTP_PORT_MIN, max: this.cfg.RTP_PORT_MAX }, readEphemeralPortRange());
    if (this.warning) this.log.warn(this.warning);
  }
}
