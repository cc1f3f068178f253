/** An H.264 rendition the page may switch to (an H.265 stream: browsers without HEVC, or FLV). */
export interface PlayerAlternative {
  streamId: string;
  token: string;
}

/**
 * The stand-alone player page: hls.js or mpegts.js (FLV), chosen by ?mode=. For an H.265 stream (`h264` given) it
 * checks MSE for HEVC (hvc1 and hev1) and, without it (or in FLV mode, which carries H.264 only), plays the stream's
 * H.264 rendition: its first fetch starts the shared transcode; a refusal (TRANSCODE_LIMIT) is shown in plain words.
 */
export function playerPage(streamId: string, token: string, mode: 'hls' | 'flv', h264?: PlayerAlternative): string {
  const q = `token=${encodeURIComponent(token)}`;
  const alt = h264 ? { id: h264.streamId, q: `token=${encodeURIComponent(h264.token)}` } : null;
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(streamId)}</title>
<style>body{margin:0;background:#111;color:#ddd;font:14px system-ui}video{width:100%;max-height:90vh;background:#000}#status{padding:6px 10px}</style>
</head><body>
<video id="v" muted autoplay playsinline controls></video>
<div id="status">loading ${esc(mode.toUpperCase())}…</div>
<script src="/vendor/${mode === 'hls' ? 'hls.min.js' : 'mpegts.js'}"></script>
<script>
const v = document.getElementById('v'), status = document.getElementById('status');
const say = (m) => { status.textContent = m; };
const mode = ${JSON.stringify(mode)};
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
start();
v.addEventListener('playing', () => say('playing ' + mode.toUpperCase() + (useAlt ? ' (H.264 converted from H.265)' : '')));
setInterval(() => { if (!v.paused) status.dataset.t = String(v.currentTime); }, 500);
</script></body></html>`;
}
