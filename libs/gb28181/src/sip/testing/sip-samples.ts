import * as iconv from 'iconv-lite';

/** Real-shaped GB28181 messages (CRLF, byte-exact Content-Length) shared by specs and the benchmark. */

const crlf = (lines: string[]): string => lines.join('\r\n');

export const SAMPLE_REGISTER = Buffer.from(
  crlf([
    'REGISTER sip:34020000002000000001@3402000000 SIP/2.0',
    'Via: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK1371463273',
    'From: <sip:34020000001320000001@3402000000>;tag=2043466181',
    'To: <sip:34020000001320000001@3402000000>',
    'Call-ID: 1011047669',
    'CSeq: 1 REGISTER',
    'Contact: <sip:34020000001320000001@192.168.1.64:5060>',
    'Max-Forwards: 70',
    'User-Agent: IP Camera',
    'Expires: 3600',
    'Content-Length: 0',
    '',
    '',
  ]),
);

export const SAMPLE_REGISTER_AUTH = Buffer.from(
  crlf([
    'REGISTER sip:34020000002000000001@3402000000 SIP/2.0',
    'Via: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK1371463274',
    'From: <sip:34020000001320000001@3402000000>;tag=2043466181',
    'To: <sip:34020000001320000001@3402000000>',
    'Call-ID: 1011047669',
    'CSeq: 2 REGISTER',
    'Contact: <sip:34020000001320000001@192.168.1.64:5060>',
    'Authorization: Digest username="34020000001320000001", realm="3402000000", nonce="9bd055b0a7e5b2a7", uri="sip:34020000002000000001@3402000000", response="dcb484b405fb3c5c7c78c25bec9cdcdd", algorithm=MD5',
    'Max-Forwards: 70',
    'User-Agent: IP Camera',
    'Expires: 3600',
    'Content-Length: 0',
    '',
    '',
  ]),
);

/** Keepalive body in GB2312 with a Chinese <Name>: 2 bytes per Han character. */
export const KEEPALIVE_XML =
  '<?xml version="1.0" encoding="GB2312"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>43</SN>\r\n<DeviceID>34020000001320000001</DeviceID>\r\n<Status>OK</Status>\r\n<Name>大门口摄像机</Name>\r\n</Notify>\r\n';
export const KEEPALIVE_BODY_GB2312: Buffer = iconv.encode(KEEPALIVE_XML, 'gb2312');

export const SAMPLE_KEEPALIVE = Buffer.concat([
  Buffer.from(
    crlf([
      'MESSAGE sip:34020000002000000001@3402000000 SIP/2.0',
      'Via: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK1620853592',
      'From: <sip:34020000001320000001@3402000000>;tag=1204296939',
      'To: <sip:34020000002000000001@3402000000>',
      'Call-ID: 1966263916',
      'CSeq: 20 MESSAGE',
      'Content-Type: Application/MANSCDP+xml',
      'Max-Forwards: 70',
      'User-Agent: IP Camera',
      `Content-Length: ${KEEPALIVE_BODY_GB2312.length}`,
      '',
      '',
    ]),
  ),
  KEEPALIVE_BODY_GB2312,
]);

export const SAMPLE_SDP = [
  'v=0',
  'o=34020000002000000001 0 0 IN IP4 192.0.2.10',
  's=Play',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  'm=video 30000 RTP/AVP 96 97 98 99',
  'a=recvonly',
  'a=rtpmap:96 PS/90000',
  'a=rtpmap:97 MPEG4/90000',
  'a=rtpmap:98 H264/90000',
  'a=rtpmap:99 H265/90000',
  'y=0200000001',
  '',
].join('\r\n');

export const SAMPLE_INVITE = Buffer.from(
  crlf([
    'INVITE sip:34020000001320000001@192.168.1.64:5060 SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.10:5060;rport;branch=z9hG4bKinv4711',
    'From: <sip:34020000002000000001@3402000000>;tag=gw1',
    'To: <sip:34020000001320000001@3402000000>',
    'Call-ID: invite-1@192.0.2.10',
    'CSeq: 1 INVITE',
    'Contact: <sip:34020000002000000001@192.0.2.10:5060>',
    'Subject: 34020000001320000001:0200000001,34020000002000000001:0',
    'Max-Forwards: 70',
    'Content-Type: APPLICATION/SDP',
    `Content-Length: ${Buffer.byteLength(SAMPLE_SDP)}`,
    '',
    SAMPLE_SDP,
  ]),
);

export const SAMPLE_200_OK = Buffer.from(
  crlf([
    'SIP/2.0 200 OK',
    'Via: SIP/2.0/UDP 192.168.1.64:5060;rport=5060;received=10.0.0.7;branch=z9hG4bK1371463274',
    'From: <sip:34020000001320000001@3402000000>;tag=2043466181',
    'To: <sip:34020000001320000001@3402000000>;tag=1734201234',
    'Call-ID: 1011047669',
    'CSeq: 2 REGISTER',
    'Date: 2024-05-01T12:00:00.000',
    'Expires: 3600',
    'Content-Length: 0',
    '',
    '',
  ]),
);
