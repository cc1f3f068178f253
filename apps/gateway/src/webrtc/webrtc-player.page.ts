/** How long the page gives a WebRTC (WHEP) connection before it switches to FLV. */
export const WEBRTC_FALLBACK_MS = 2000;

/**
 * The WebRTC player page (GET /webrtc/:streamId?token=): WHEP offer with recvonly video and audio transceivers, the answer
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
  pc.addTransceiver('audio', { direction: 'recvonly' }); // G.711 cameras: PCMA/PCMU
  const ms = new MediaStream();
  pc.ontrack = (e) => { ms.addTrack(e.track); if (v.srcObject !== ms) v.srcObject = ms; v.play().catch(() => {}); };
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

/**
 * The WHEP part of the regular player page (player.page.ts, mode webrtc), as page script: `whepPlay(url, video, ms)`
 * resolves once the video plays within `ms` (the peer connection in `window.__pc`) with `{ close, onFailed }`, or
 * rejects with an Error whose `status` is the HTTP status of a refusal (503 WEBRTC_LIMIT, 415 …), everything closed.
 */
export const WHEP_PLAY_SCRIPT = `
async function whepPlay(url, video, ms) {
  if (!window.RTCPeerConnection) throw Object.assign(new Error('this browser has no WebRTC'), { status: 0 });
  const pc = window.__pc = new RTCPeerConnection();
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  const stream = new MediaStream();
  pc.ontrack = (e) => { stream.addTrack(e.track); if (video.srcObject !== stream) video.srcObject = stream; video.play().catch(() => {}); };
  let session = null, started = false, failNow = null;
  const out = { onFailed: null, close() { pc.close(); if (session) fetch(session, { method: 'DELETE', keepalive: true }).catch(() => {}); session = null; video.srcObject = null; } };
  addEventListener('pagehide', () => out.close());
  pc.onconnectionstatechange = () => {
    if (!['failed', 'disconnected', 'closed'].includes(pc.connectionState)) return;
    if (!started && failNow) failNow(new Error('connection ' + pc.connectionState));
    else if (started && out.onFailed) out.onFailed('connection ' + pc.connectionState);
  };
  let timer;
  try {
    await new Promise((resolve, reject) => {
      failNow = reject;
      timer = setTimeout(() => reject(Object.assign(new Error('not playing within ' + ms + ' ms'), { status: 0 })), ms);
      video.addEventListener('playing', resolve, { once: true });
      (async () => {
        await pc.setLocalDescription(await pc.createOffer());
        const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription.sdp });
        if (r.status !== 201) {
          const b = await r.json().catch(() => null);
          throw Object.assign(new Error('refused: ' + r.status + ' ' + ((b && b.code) || '')), { status: r.status });
        }
        session = r.headers.get('location');
        await pc.setRemoteDescription({ type: 'answer', sdp: await r.text() });
      })().catch(reject);
    });
    started = true;
    return out;
  } catch (e) {
    out.close();
    throw e;
  } finally {
    clearTimeout(timer);
  }
}`;
