/**
 * `urls.wsFlv` is a ws:// or wss:// URL (mpegts.js picks its WebSocket loader by the scheme). With PUBLIC_URL the
 * streams service writes it whole; without, the service knows no host and writes the path, and the API completes it
 * here from the request the client sent: the host it reached us by, wss when it came over https.
 */
export interface RequestOrigin {
  protocol?: string;
  headers: { host?: string };
}

export function withWsFlvOrigin<T extends { urls: { wsFlv: string } }>(dto: T, req: RequestOrigin): T {
  const host = req.headers.host;
  if (!dto.urls.wsFlv.startsWith('/') || !host || !/^[\w.:[\]-]+$/.test(host)) return dto;
  return { ...dto, urls: { ...dto.urls, wsFlv: `${req.protocol === 'https' ? 'wss' : 'ws'}://${host}${dto.urls.wsFlv}` } };
}
