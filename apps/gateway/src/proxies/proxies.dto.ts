import { z } from 'zod';

export const MAX_PROXY_NAME_CHARS = 64;
export const MAX_PROXY_URL_CHARS = 2048;
export const MAX_PROXY_CREDENTIAL_CHARS = 128;

/** Schemes a proxy may pull (srt:// only where the machine's ffmpeg lists it: checked by the service). */
export const PROXY_URL_SCHEMES = ['rtsp:', 'rtsps:', 'rtmp:', 'rtmps:', 'http:', 'https:', 'srt:'] as const;

/** Printable text without control characters (names and credentials reach logs and ffmpeg's command line). */
const printable = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    // eslint-disable-next-line no-control-regex
    .regex(/^[^\u0000-\u001f\u007f]+$/, 'no control characters');

/**
 * A source URL: one of PROXY_URL_SCHEMES with a host, no spaces or control characters, no credentials in it (they go in
 * username/password, which are never returned), http(s) only for HTTP-FLV (.flv) or HLS (.m3u8).
 */
export const proxyUrlSchema = z
  .string()
  .min(1)
  .max(MAX_PROXY_URL_CHARS)
  // eslint-disable-next-line no-control-regex
  .regex(/^[^\s\u0000-\u001f\u007f]+$/, 'no spaces or control characters')
  .superRefine((s, ctx) => {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not a URL' });
      return;
    }
    if (!(PROXY_URL_SCHEMES as readonly string[]).includes(u.protocol)) {
      ctx.addIssue({ code: 'custom', message: `scheme ${u.protocol.replace(/:$/, '')} is not taken; use rtsp, rtmp, http(s) (FLV or HLS) or srt` });
      return;
    }
    if (!u.hostname) ctx.addIssue({ code: 'custom', message: 'no host' });
    if (u.username || u.password) ctx.addIssue({ code: 'custom', message: 'no credentials in the URL: use username and password' });
    if ((u.protocol === 'http:' || u.protocol === 'https:') && !/\.(flv|m3u8)$/i.test(u.pathname)) {
      ctx.addIssue({ code: 'custom', message: 'http(s) sources are HTTP-FLV (path ending .flv) or HLS (.m3u8)' });
    }
  });

/** on-demand / always: the gateway pulls `url`; push: an encoder publishes to the proxy's RTMP publish URL. */
export const proxyModeSchema = z.enum(['on-demand', 'always', 'push']);

/**
 * POST: a pull `{name, url, mode?: "on-demand" | "always", username?, password?}` or a push `{name, mode: "push"}`
 * (no URL or credentials: the gateway makes the publish URL and its key).
 */
export const createProxySchema = z
  .object({
    name: printable(MAX_PROXY_NAME_CHARS),
    url: proxyUrlSchema.optional(),
    mode: proxyModeSchema.default('on-demand'),
    username: printable(MAX_PROXY_CREDENTIAL_CHARS).optional(),
    password: printable(MAX_PROXY_CREDENTIAL_CHARS).optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.mode === 'push') {
      for (const k of ['url', 'username', 'password'] as const) {
        if (b[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'a push proxy has no source URL or credentials (the encoder publishes to its publishUrl)' });
      }
    } else if (b.url === undefined) ctx.addIssue({ code: 'custom', path: ['url'], message: 'required (or mode "push")' });
  });

/**
 * PATCH: any field; null clears username or password; `rotateKey: true` gives a push proxy a new publish key (the
 * encoder publishing with the old one is dropped). A proxy stays pull or push (delete it and add the other kind).
 */
export const updateProxySchema = z
  .object({
    name: printable(MAX_PROXY_NAME_CHARS),
    url: proxyUrlSchema,
    mode: proxyModeSchema,
    username: printable(MAX_PROXY_CREDENTIAL_CHARS).nullable(),
    password: printable(MAX_PROXY_CREDENTIAL_CHARS).nullable(),
    rotateKey: z.literal(true),
  })
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'nothing to change');

export const proxyIdSchema = z.string().uuid();

export type CreateProxyDto = z.output<typeof createProxySchema>;
export type UpdateProxyDto = z.output<typeof updateProxySchema>;

/** The answer of the proxies API: one definition, shared with the dashboard (libs/contracts). */
export type { ProxyDto } from '@gb/contracts';
