/** Longest cause message kept (the last line of ffmpeg's stderr can be long). */
export const MAX_CAUSE_CHARS = 200;

export type IngestCauseCode =
  | 'AUTH_FAILED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONNECTION_REFUSED'
  | 'TIMEOUT'
  | 'UNREACHABLE'
  | 'DNS_FAILED'
  | 'BAD_STREAM'
  | 'NO_VIDEO'
  | 'UNSUPPORTED_CODEC'
  | 'SOURCE_ENDED'
  | 'SOURCE_ERROR'
  // Push mode (RTMP publish, rtmp-push.server.ts):
  /** A publish with a wrong or missing ?key= was refused (the publisher's connection closed). */
  | 'PUSH_KEY_REJECTED'
  /** A second encoder tried to publish while one does (one publisher per channel). */
  | 'PUSH_BUSY'
  /** The encoder stopped publishing or closed its connection. */
  | 'PUSH_STOPPED'
  /** The encoder sent nothing for RTMP_IDLE_TIMEOUT_MS. */
  | 'PUSH_TIMEOUT'
  /** The encoder sent malformed RTMP (the code of the protocol error is in the message). */
  | 'PUSH_PROTOCOL_ERROR';

export interface IngestCause {
  code: IngestCauseCode;
  message: string;
}

const RULES: [RegExp, IngestCauseCode, string][] = [
  [/401 Unauthorized|\bUnauthorized\b/, 'AUTH_FAILED', '401 Unauthorized: wrong or missing username/password'],
  [/403 Forbidden|\bForbidden\b/, 'FORBIDDEN', '403 Forbidden'],
  [/404 Not Found|StreamNotFound|Stream not found/, 'NOT_FOUND', '404 Not Found: no such stream at this URL'],
  [/Connection refused/i, 'CONNECTION_REFUSED', 'connection refused: nothing listens at this address and port'],
  [/timed out|Operation timed out|Connection timed out/i, 'TIMEOUT', 'timed out: the source did not answer'],
  [/No route to host|Network is unreachable|Host is unreachable/i, 'UNREACHABLE', 'host unreachable'],
  [/Name or service not known|Failed to resolve hostname|Temporary failure in name resolution|nodename nor servname/i, 'DNS_FAILED', 'the host name does not resolve'],
  [/Stream map '0:v:0' matches no streams|does not contain any stream|Output file #0 does not contain/i, 'NO_VIDEO', 'the source has no video stream'],
  [/muxer supports only codec|Could not find tag for codec/i, 'UNSUPPORTED_CODEC', 'the video codec is neither H.264 nor H.265'],
  [/Invalid data found when processing input|could not find codec parameters/i, 'BAD_STREAM', 'invalid data from the source (not a stream of this protocol?)'],
];

/**
 * Why an ffmpeg pull ended, from its stderr (ffmpeg says it in words, e.g. "method DESCRIBE failed: 401 Unauthorized",
 * "Connection refused", "Server returned 404 Not Found") and its exit code. The last matching rule of the LAST error
 * lines wins over older ones: a reconnect's message is the one that counts.
 */
export function causeFromFfmpeg(stderr: string, exit: { code: number | null; signal: NodeJS.Signals | null }): IngestCause {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter(Boolean).slice(-12);
  for (let i = lines.length - 1; i >= 0; i--) {
    for (const [re, code, text] of RULES) {
      if (re.test(lines[i]!)) return { code, message: clip(`${text} (${lines[i]})`) };
    }
  }
  if (exit.code === 0) return { code: 'SOURCE_ENDED', message: 'the source ended the stream' };
  const last = lines.at(-1) ?? '';
  const how = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
  return { code: 'SOURCE_ERROR', message: clip(last ? `ffmpeg ${how}: ${last}` : `ffmpeg ${how}`) };
}

function clip(s: string): string {
  // ffmpeg repeats the URL it was given, credentials included: the password never reaches the API or the log.
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/(\/\/[^/\s:@]*):[^@\s/]*@/g, '$1:***@');
  return clean.length > MAX_CAUSE_CHARS ? `${clean.slice(0, MAX_CAUSE_CHARS - 1)}…` : clean;
}
