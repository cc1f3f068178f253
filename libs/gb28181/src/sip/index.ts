// SIP layer of the pure GB/T 28181 library: messages, parser, serializer, URIs, header values,
// builders, TCP framer, digest auth, RFC 3261 §17 transactions and §12 dialogs with the INVITE client usage.
export * from './sip-message';
export * from './sip-parser';
export * from './sip-serializer';
export * from './sip-uri';
export * from './sip-header-values';
export * from './sip-builders';
export * from './sip-tcp.framer';
export * from './digest';
export * from './transaction';
export * from './dialog';
export * from './subscription-headers';
