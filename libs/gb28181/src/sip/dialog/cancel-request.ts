import { Gb28181Error } from '../../errors';
import { SipHeaders, type SipRequest } from '../sip-message';
import { parseCSeq } from '../sip-header-values';

/**
 * The CANCEL for a pending INVITE (RFC 3261 §9.1): the INVITE's Request-URI, Call-ID, To, From and CSeq number
 * with method CANCEL, exactly one Via equal to the INVITE's top Via (same branch, so the UAS matches it to the
 * INVITE's server transaction), the INVITE's Route headers, no body. It is sent in its own non-INVITE client
 * transaction, and only once a provisional response has arrived.
 */
export function buildCancel(invite: SipRequest): SipRequest {
  if (invite.method !== 'INVITE') throw new Gb28181Error('SIP_DIALOG_BAD_METHOD', `only an INVITE is cancelled, not ${invite.method}`);
  const via = invite.headers.getAll('Via')[0];
  if (via === undefined) throw new Gb28181Error('SIP_MISSING_HEADER', 'INVITE without Via');
  const h = new SipHeaders();
  h.append('Via', via);
  for (const name of ['From', 'To', 'Call-ID']) {
    const v = invite.headers.get(name);
    if (v === undefined) throw new Gb28181Error('SIP_MISSING_HEADER', `INVITE without ${name}`);
    h.append(name, v);
  }
  h.append('CSeq', `${parseCSeq(invite.headers.get('CSeq') ?? '').seq} CANCEL`);
  for (const r of invite.headers.getAllLines('Route')) h.append('Route', r);
  h.append('Max-Forwards', invite.headers.get('Max-Forwards') ?? '70');
  h.append('Content-Length', '0');
  return { type: 'request', method: 'CANCEL', uri: invite.uri, version: 'SIP/2.0', headers: h, body: Buffer.alloc(0) };
}
