/** How long the page gives a WebRTC (WHEP) connection before it switches to FLV. */
export const WEBRTC_FALLBACK_MS = 2000;

/**
 * The WebRTC player page (GET /webrtc/:streamId?token=): WHEP offer with one recvonly video transceiver, the answer
 * applied, and the <video> fed from the track. When the peer connection is not 'connected' within WEBRTC_FALLBACK_MS,
 * or the gateway refuses the offer, it closes the peer (DELETE of the WHEP session) and goes to the regular player page
 * in FLV mode (HLS for a 415: an H.265 stream, which that page handles with its H.264 rendition).
 * `window.__pc` is the peer connection (its getStats() counts decoded frames); `#status[data-transport]` says 'webrtc'.
 */
export function webrtcPlayerPage(streamId: string, token: string, fallbackMs = WEBRTC_FALLBACK_MS): string {
  const q = `token=${encodeURIComponent(token)}`;
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const js = (s: string) => JSON.stringify(s).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(streamId)}</title>
<style>body{margin:0;background:#111;color:#ddd;font:14px system-ui}video{width:100%;max-height:90vh;background:#000}#status{padding:6px 10px}</style>
</head><body>
<video id="v" muted autoplay playsinline controls></video>
<div id="status" data-transport="webrtc">connecting WebRTC…</div>
<script>
const v = document.getElementById('v'), status = document.getElementById('status');
const say = (m) => { status.textContent = m; };
const whepUrl = ${js(`/whep/${streamId}?${q}`)};
const playerUrl = ${js(`/play/${streamId}?${q}`)};
let pc = null, session = null, done = false;
function fallback(why, httpStatus) {
  if (done) return;
  done = true;
  clearTimeout(timer);
  if (pc) pc.close();
  if (session) fetch(session, { method: 'DELETE', keepalive: true }).catch(() => {});
  session = null;
  say('WebRTC: ' + why);
  location.replace(playerUrl + (httpStatus === 415 ? '' : '&mode=flv') + '&fallback=' + encodeURIComponent(why));
}
const timer = setTimeout(() => fallback('not connected within ${fallbackMs} ms'), ${fallbackMs});
async function start() {
  if (!window.RTCPeerConnection) return fallback('this browser has no WebRTC');
  pc = window.__pc = new RTCPeerConnection();
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.ontrack = (e) => { v.srcObject = e.streams[0] || new MediaStream([e.track]); v.play().catch(() => {}); };
  pc.onconnectionstatechange = () => {
    if (pc.connectionState === 'connected' && !done) { done = true; clearTimeout(timer); status.dataset.connectedMs = String(Math.round(performance.now())); say('connected WEBRTC'); }
    if (pc.connectionState === 'failed') fallback('connection failed');
  };
  await pc.setLocalDescription(await pc.createOffer());
  const r = await fetch(whepUrl, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription.sdp });
  if (r.status !== 201) {
    const b = await r.json().catch(() => null);
    return fallback('refused: ' + r.status + ' ' + ((b && b.code) || ''), r.status);
  }
  session = r.headers.get('location');
  await pc.setRemoteDescription({ type: 'answer', sdp: await r.text() });
}
start().catch((e) => fallback(String((e && e.message) || e)));
addEventListener('pagehide', () => { if (session) fetch(session, { method: 'DELETE', keepalive: true }).catch(() => {}); session = null; });
v.addEventListener('playing', () => say('playing WEBRTC'));
setInterval(() => { if (!v.paused) status.dataset.t = String(v.currentTime); }, 500);
</script></body></html>`;
}
