import { SipMessage } from './sip-message';

/**
 * Writes a SIP message (RFC 3261 §7). Header names in their long canonical form, CRLF line
 * ends, and a Content-Length equal to the body's byte length: an existing Content-Length
 * line is rewritten in place, otherwise one is appended after the last header.
 */
export function serializeSipMessage(msg: SipMessage): Buffer {
  let head =
    msg.type === 'request'
      ? `${msg.method} ${msg.uri} ${msg.version || 'SIP/2.0'}\r\n`
      : `${msg.version || 'SIP/2.0'} ${msg.status} ${msg.reason}\r\n`;
  const body = msg.body ?? Buffer.alloc(0);
  let wroteLength = false;
  for (const [name, value] of msg.headers.entries()) {
    if (name.toLowerCase() === 'content-length') {
      if (wroteLength) continue;
      head += `Content-Length: ${body.length}\r\n`;
      wroteLength = true;
      continue;
    }
    head += `${name}: ${value}\r\n`;
  }
  if (!wroteLength) head += `Content-Length: ${body.length}\r\n`;
  head += '\r\n';
  const headLen = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLen + body.length);
  out.write(head, 0, 'utf8');
  body.copy(out, headLen);
  return out;
}
