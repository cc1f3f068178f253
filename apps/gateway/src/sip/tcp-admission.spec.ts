import { describe, expect, it } from 'vitest';
import { TcpAdmission, type TcpAdmissionLimits } from './tcp-admission';

const LIMITS: TcpAdmissionLimits = { maxConnections: 10, maxConnectionsPerHost: 4, acceptRatePerHost: 2, reservedPercent: 20 };

function admission(limits: Partial<TcpAdmissionLimits> = {}) {
  let now = 0;
  const a = new TcpAdmission({ ...LIMITS, ...limits }, () => now);
  return { a, advance: (ms: number) => (now += ms) };
}

/** Admits `n` connections from `host` as the transport would (decide, then opened). */
function open(a: TcpAdmission, host: string, n: number): string[] {
  const kinds: string[] = [];
  for (let i = 0; i < n; i++) {
    const d = a.decide(host);
    kinds.push(d.kind === 'refuse' ? d.code : d.kind);
    if (d.kind === 'admit') a.opened(host);
  }
  return kinds;
}

describe('TcpAdmission', () => {
  it('decide() admits up to maxConnectionsPerHost from one host, then refuses SIP_TCP_HOST_LIMIT', () => {
    const { a, advance } = admission({ acceptRatePerHost: 1000 });
    expect(open(a, 'h', 4)).toEqual(['admit', 'admit', 'admit', 'admit']);
    advance(1000);
    expect(open(a, 'h', 1)).toEqual(['SIP_TCP_HOST_LIMIT']);
    expect(open(a, 'other', 1)).toEqual(['admit']);
  });

  it('decide() spends one token per attempt: a burst of maxConnectionsPerHost, then acceptRatePerHost per second', () => {
    const { a, advance } = admission();
    for (let i = 0; i < 4; i++) {
      expect(a.decide('h').kind).toBe('admit'); // never opened: only the bucket counts
    }
    expect(a.decide('h')).toEqual({ kind: 'refuse', code: 'SIP_TCP_ACCEPT_RATE' });
    advance(500);
    expect(a.decide('h').kind).toBe('admit');
    expect(a.decide('h')).toEqual({ kind: 'refuse', code: 'SIP_TCP_ACCEPT_RATE' });
  });

  it('hosts that are not known share maxConnections less the reserved percent; past it a newcomer must evict', () => {
    const { a } = admission({ acceptRatePerHost: 1000 });
    expect(a.unreservedCapacity).toBe(8);
    open(a, 'a', 4);
    open(a, 'b', 4);
    expect(a.decide('c')).toEqual({ kind: 'evict-then-admit' });
  });

  it('a known host may use the reserved share, and must evict only at maxConnections', () => {
    const { a } = admission({ acceptRatePerHost: 1000 });
    open(a, 'a', 4);
    open(a, 'b', 4);
    a.markKnown('device');
    expect(open(a, 'device', 2)).toEqual(['admit', 'admit']);
    expect(a.decide('device')).toEqual({ kind: 'evict-then-admit' });
  });

  it('closed() gives the host and overall counts back; forgetIdleBuckets() drops refilled buckets only', () => {
    const { a, advance } = admission();
    open(a, 'h', 2);
    a.closed('h');
    a.closed('h');
    expect(a.connectionsFrom('h')).toBe(0);
    expect(a.openConnections).toBe(0);
    a.forgetIdleBuckets();
    expect(a.decide('h').kind).toBe('admit'); // its bucket was kept: 2 of the burst of 4 were left
    advance(2000);
    a.forgetIdleBuckets();
    expect(open(a, 'h', 4)).toEqual(['admit', 'admit', 'admit', 'admit']);
  });
});
