import { GatewayError } from '../common/gateway-error';

/**
 * RTP ports handed to streams: even ports in [min, max] (RTCP would take the odd one above, RFC 3550 §11).
 * Allocation only tracks what we gave out; the socket bind itself may still fail (another program holds the port),
 * in which case the caller releases and asks again.
 */
export class PortPool {
  private readonly free: number[] = [];
  private readonly used = new Set<number>();

  constructor(readonly min: number, readonly max: number) {
    for (let p = min + (min % 2); p <= max; p += 2) this.free.push(p);
  }

  get available(): number {
    return this.free.length;
  }

  take(): number {
    const p = this.free.shift();
    if (p === undefined) throw new GatewayError('CONFLICT', `no free RTP port in ${this.min}-${this.max} (RTP_PORT_MIN/RTP_PORT_MAX)`);
    this.used.add(p);
    return p;
  }

  release(p: number): void {
    if (!this.used.delete(p)) return;
    // Reuse least-recently released ports last, so a late packet of an old stream does not land in a new one.
    this.free.push(p);
  }
}
