import { Controller, Get, Inject, NotFoundException, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, resolve, sep } from 'node:path';
import { Public } from '../auth/public.decorator';
import { WEB_ASSET_PREFIX, WEB_DIST_DIR } from './web-dist';

/** Longest asset path we look up (vite's names are ~40 characters). */
export const MAX_WEB_ASSET_PATH_CHARS = 200;

const MIME: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/**
 * What the dashboard may load: its own scripts (and /vendor/ players), blob: workers and media (hls.js, mpegts.js),
 * blob: images (snapshots fetched with the bearer token), the event WebSocket.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob:",
  "worker-src 'self' blob:",
  "connect-src 'self' ws: wss:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Dashboard not built</title></head>
<body style="font:15px system-ui;margin:3em">
<h1>The dashboard is not built</h1>
<p>Build it with <code>npm run build:web</code> (or start the gateway with <code>npm start</code>, which builds it), then reload.</p>
<p>The API works without it: <a href="/api/docs">/api/docs</a>.</p>
</body></html>`;

/** Serves the built dashboard (web/ bundled by vite into dist/web): index.html at `/`, assets under `/app/`. */
@ApiExcludeController()
@Public()
@Controller()
export class WebController {
  constructor(@Inject(WEB_DIST_DIR) private readonly dir: string) {}

  @Get()
  index(@Res() res: Response): void {
    let html: string;
    try {
      html = readFileSync(join(this.dir, 'index.html'), 'utf8');
    } catch {
      res.status(200).setHeader('content-type', 'text/html; charset=utf-8');
      res.setHeader('cache-control', 'no-store');
      res.send(NOT_BUILT);
      return;
    }
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.setHeader('cache-control', 'no-cache');
    res.setHeader('content-security-policy', DASHBOARD_CSP);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    res.send(html);
  }

  @Get('app/*path')
  asset(@Req() req: Request, @Res() res: Response): void {
    let rel: string;
    try {
      rel = decodeURIComponent(req.path.slice(WEB_ASSET_PREFIX.length));
    } catch {
      throw new NotFoundException('malformed dashboard file path');
    }
    const { file, size } = this.resolveAsset(rel);
    res.setHeader('content-type', MIME[extname(file)] ?? 'application/octet-stream');
    res.setHeader('content-length', String(size));
    res.setHeader('x-content-type-options', 'nosniff');
    // vite puts a content hash in every asset name under assets/.
    res.setHeader('cache-control', rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  }

  /** The file for an asset path and its size, never outside the dist folder; throws NOT_FOUND otherwise. */
  private resolveAsset(rel: string): { file: string; size: number } {
    const notFound = () => new NotFoundException(`no dashboard file ${rel.slice(0, MAX_WEB_ASSET_PATH_CHARS)}`);
    if (!rel || rel.length > MAX_WEB_ASSET_PATH_CHARS || rel.includes('\0')) throw notFound();
    const root = resolve(this.dir);
    const file = resolve(root, rel);
    const inside = relative(root, file);
    if (!inside || inside.startsWith('..') || inside.split(sep).includes('..')) throw notFound();
    let st;
    try {
      st = statSync(file);
    } catch {
      throw notFound();
    }
    if (!st.isFile()) throw notFound();
    return { file, size: st.size };
  }
}
