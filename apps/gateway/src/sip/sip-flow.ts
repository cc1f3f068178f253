/**
 * Where a SIP message came from / goes to. For TCP, `connectionId` names the accepted connection
 * replies must use (RFC 3261 §18.2.2); for UDP, responses go to the source address (RFC 3581 rport).
 */
export interface SipFlow {
  transport: 'udp' | 'tcp';
  remoteHost: string;
  remotePort: number;
  /** Our address the peer reached (what we advertise in Via/Contact/SDP to it). */
  localHost: string;
  localPort: number;
  connectionId?: number;
}

export function flowKey(f: Pick<SipFlow, 'transport' | 'remoteHost' | 'remotePort'>): string {
  return `${f.transport}:${f.remoteHost}:${f.remotePort}`;
}
