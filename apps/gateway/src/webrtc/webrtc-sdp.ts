/**
 * SDP edits of the WHEP answer (RFC 8866 a=candidate lines, RFC 8839 §5.1 grammar):
 *
 *   a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...
 *
 * Behind a 1:1 NAT or a port-forwarding router the gateway's interface addresses are not what browsers can reach.
 * `withPublicHostCandidates` adds, for each UDP host candidate, one with the public address and the same port
 * (the router forwards that port to the gateway), at a lower priority so a browser on the LAN still prefers the
 * private address. Pure: text in, text out.
 */
export const MAX_WHEP_OFFER_BYTES = 64 * 1024;

const CANDIDATE = /^a=candidate:(\S+) (\d+) (udp) (\d+) (\S+) (\d+) typ host(.*)$/i;

export function withPublicHostCandidates(sdp: string, publicHost: string | undefined): string {
  if (!publicHost) return sdp;
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const out: string[] = [];
  const lines = sdp.split(/\r?\n/);
  // component/port pairs that already have the public address as a candidate
  const seen = new Set<string>(lines.map((l) => CANDIDATE.exec(l)).filter((m) => m?.[5] === publicHost).map((m) => `${m![2]}/${m![6]}`));
  for (const line of lines) {
    out.push(line);
    const m = CANDIDATE.exec(line);
    if (!m || m[5] === publicHost) continue;
    const [, foundation, component, transport, priority, , port] = m;
    const key = `${component}/${port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(`a=candidate:${foundation}p ${component} ${transport} ${Math.max(1, Number(priority) - 1000)} ${publicHost} ${port} typ host`);
  }
  return out.join(eol);
}

/** The offer is SDP for video we can send (RFC 8866 §5: v= first; an m=video section). */
export function looksLikeVideoOffer(sdp: string): boolean {
  return /^v=0\r?\n/.test(sdp) && /^m=video /m.test(sdp);
}
