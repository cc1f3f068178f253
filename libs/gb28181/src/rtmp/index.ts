// RTMP publish ingest (server side): handshake, chunk stream, AMF0 commands, FLV video tags to Annex B, audio tags to ADTS/G.711. Pure.
export * from './amf0.codec';
export * from './rtmp-chunk.reader';
export * from './rtmp-chunk.writer';
export * from './flv-video.reader';
export * from './flv-audio.reader';
export * from './rtmp-publish.session';
