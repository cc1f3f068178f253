// Media protocol code: RTP, RFC 4571 framing, reordering, MPEG-2 PS demux/mux, H.264/H.265 NAL, SDP.
export * from './rtp.codec';
export * from './rfc4571.framer';
export * from './rtp-reorder.buffer';
export * from './exp-golomb.reader';
export * from './nal';
export * from './annexb-au.splitter';
export * from './ps-stream-types';
export * from './ps-demuxer';
export * from './ps-muxer';
export * from './sdp.codec';
export * from './gb-sdp.builder';
export * from './flv-muxer';
export * from './ts-muxer';
export * from './hls-segmenter';
export * from './timestamps';
export * from './keyframe-gate';
export * from './mansrtsp';
