import type { SipFlow } from '../sip/sip-flow';

/** Whether two flows reach the device the same way: same transport, source address and port, and TCP connection. */
export function sameFlow(a: SipFlow, b: SipFlow): boolean {
  return a.transport === b.transport && a.remoteHost === b.remoteHost && a.remotePort === b.remotePort && a.connectionId === b.connectionId;
}
