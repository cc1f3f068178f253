/** The stand-alone player page: hls.js or mpegts.js (FLV), chosen by ?mode=. */
export function playerPage(streamId: string, token: string, mode: 'hls' | 'flv'): string {
  const q = `token=${encodeURIComponent(token)}`;
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
const hlsUrl = '/live/${esc(streamId)}/index.m3u8?${q}';
const flvUrl = '/flv/${esc(streamId)}.flv?${q}';
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
v.addEventListener('playing', () => say('playing ' + mode.toUpperCase()));
setInterval(() => { if (!v.paused) status.dataset.t = String(v.currentTime); }, 500);
</script></body></html>`;
}
