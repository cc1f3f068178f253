// Public surface of the runtime library: what gateway, vision worker and simulator share about the machine they run
// on (external binaries, the metrics listener). Node-only; no Nest, no protocol code.
export * from './ffmpeg-binary';
export * from './metrics-http.server';
