import { WEBRTC_FALLBACK_MS, WHEP_PLAY_SCRIPT } from '../webrtc/webrtc-player.page';

/** An H.264 rendition the page may switch to (an H.265 stream: browsers without HEVC, or FLV). */
export interface PlayerAlternative {
  streamId: string;
  token: string;
}

/** Modes of the player page (?mode=): WebRTC first (falling back to FLV), FLV (mpegts.js), HLS (hls.js). */
export type PlayerPageMode = 'webrtc' | 'hls' | 'flv';

/**
 * The stand-alone player page: WebRTC (WHEP) first, then FLV when it is not playing within WEBRTC_FALLBACK_MS or is
 * refused (mode webrtc, the default), or hls.js / mpegts.js (FLV) as ?mode= says. `#status[data-transport]` says what
 * plays, `data-fallback` why WebRTC was left. For an H.265 stream (`h264` given) it
 * checks MSE for HEVC (hvc1 and hev1) and, without it (or in FLV mode, which carries H.264 only), plays the stream's
 * H.264 rendition: its first fetch starts the shared transcode; a refusal (TRANSCODE_LIMIT) is shown in plain words.
 */
export function playerPage(streamId: string, token: string, requested: PlayerPageMode, h264?: PlayerAlternative, webrtcWaitMs = WEBRTC_FALLBACK_MS): string {
  // H.265: WebRTC here is H.264 only; the page's HEVC check and H.264 rendition work over HLS as before.
  const mode = requested === 'webrtc' && h264 ? 'hls' : requested;
  const q = `token=${encodeURIComponent(token)}`;
  const alt = h264 ? { id: h264.streamId, q: `token=${encodeURIComponent(h264.token)}` } : null;
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(streamId)}</title>
<style>body{margin:0;background:#111;color:#ddd;font:14px system-ui}video{width:100%;max-height:90vh;background:#000}#status{padding:6px 10px}</style>
</head><body>
<video id="v" muted autoplay playsinline controls></video>
<div id="status" data-transport="${mode}">loading ${esc(mode === 'webrtc' ? 'WebRTC' : mode.toUpperCase())}…</div>
<script src="/vendor/${mode === 'hls' ? 'hls.min.js' : 'mpegts.js'}"></script>
<script>
const v = document.getElementById('v'), status = document.getElementById('status');
const say = (m) => { status.textContent = m; };
let mode = ${JSON.stringify(mode)};
${mode === 'webrtc' ? WHEP_PLAY_SCRIPT : ''}
const alt = ${JSON.stringify(alt).replace(/</g, '\\u003c')};
const hevc = !!window.MediaSource && (MediaSource.isTypeSupported('video/mp4; codecs="hvc1.1.6.L93.B0"') || MediaSource.isTypeSupported('video/mp4; codecs="hev1.1.6.L93.B0"'));
const useAlt = !!alt && (!hevc || mode === 'flv');
const id = useAlt ? alt.id : ${JSON.stringify(streamId)}, q = useAlt ? alt.q : ${JSON.stringify(q)};
const hlsUrl = '/live/' + id + '/index.m3u8?' + q;
const flvUrl = '/flv/' + id + '.flv?' + q;
status.dataset.codec = useAlt ? 'h264-rendition' : 'source';
const refusal = (b, st) => b && b.code === 'TRANSCODE_LIMIT'
  ? 'This camera sends H.265, which this browser cannot decode, and the gateway is already converting as many streams to H.264 as it may. Try again when another viewer stops, or use a browser with H.265 support.'
  : 'This camera sends H.265, which this browser cannot decode, and converting it to H.264 failed: ' + ((b && b.message) || ('HTTP ' + st));
async function start() {
  if (mode === 'webrtc') {
    try {
      const w = await whepPlay(${JSON.stringify(`/whep/${streamId}?token=${encodeURIComponent(token)}`).replace(/</g, '\u003c')}, v, ${webrtcWaitMs});
      say('playing WEBRTC');
      w.onFailed = (why) => { w.close(); toFlv(why); };
      return;
    } catch (e) {
      return toFlv(e.message);
    }
  }
  if (useAlt) {
    say('This camera sends H.265; converting it to H.264 for this browser…');
    const r = await fetch(hlsUrl).catch(() => null);
    if (!r || !r.ok) { const b = r ? await r.json().catch(() => null) : null; status.dataset.code = (b && b.code) || 'NETWORK'; say(refusal(b, r ? r.status : 0)); return; }
  }
if (mode === 'hls') {
  if (window.Hls && Hls.isSupported()) {
    const h = new Hls({ lowLatencyMode: true, liveSyncDurationCount: 2, manifestLoadingMaxRetry: 10, manifestLoadingRetryDelay: 500, levelLoadingMaxRetry: 10 });
    h.on(Hls.Events.ERROR, (_, d) => { if (d.fatal) say('HLS error: ' + d.type + ' ' + d.details); });
    h.loadSource(hlsUrl); h.attachMedia(v);
  } else if (v.canPlayType('application/vnd.apple.mpegurl')) { v.src = hlsUrl; }
  else say('This browser cannot play HLS');
} else {
  if (window.mpegts && mpegts.isSupported()) {
    const p = mpegts.createPlayer({ type: 'flv', isLive: true, url: location.origin + flvUrl }, { enableStashBuffer: false, liveBufferLatencyChasing: true });
    p.on(mpegts.Events.ERROR, (t, d) => say('FLV error: ' + t + ' ' + d));
    p.attachMediaElement(v); p.load(); p.play().catch(() => {});
  } else say('This browser cannot play FLV (no MSE)');
}
}
function toFlv(why) {
  status.dataset.fallback = why;
  mode = 'flv';
  status.dataset.transport = 'flv';
  say('WebRTC: ' + why + '; loading FLV…');
  return start();
}
start();
v.addEventListener('playing', () => say('playing ' + mode.toUpperCase() + (useAlt ? ' (H.264 converted from H.265)' : '')));
setInterval(() => { if (!v.paused) status.dataset.t = String(v.currentTime); }, 500);
</script></body></html>`;
}
