import { MANSCDP_CHARSETS, type ManscdpCharset } from '@gb/gb28181';
import { MAX_GRANTED_EXPIRES_S } from './platform-registration';
import { z } from 'zod';
import { channelIdSchema, deviceIdSchema } from '../api/devices.dto';

export const MAX_PLATFORM_NAME_CHARS = 64;
/** Digest password of the superior (stored, never returned). */
export const MAX_PLATFORM_PASSWORD_CHARS = 128;
export const MAX_PLATFORM_DOMAIN_CHARS = 64;
export const MAX_PLATFORM_HOST_CHARS = 253;
/** Channels shared with one superior when not shareAll. */
export const MAX_SHARED_CHANNELS = 10_000;
export const MAX_KEEPALIVE_S = 3_600;
export const DEFAULT_EXPIRES_S = 3_600;
export const DEFAULT_KEEPALIVE_S = 60;

/** Printable text without control characters (names and passwords reach logs and digests, never SIP headers). */
const printable = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    // eslint-disable-next-line no-control-regex
    .regex(/^[^\u0000-\u001f\u007f]+$/, 'no control characters');

/**
 * Everything that goes into a SIP header is a token of a closed alphabet: no spaces, quotes, `<>`, `@`, `;` or
 * CR/LF can reach the REGISTER we build.
 */
const domainSchema = z.string().min(1).max(MAX_PLATFORM_DOMAIN_CHARS).regex(/^[A-Za-z0-9.:-]+$/, 'a SIP domain: letters, digits, . : - only (e.g. 3402000000 or 192.0.2.7:5060)');
const hostSchema = z
  .string()
  .min(1)
  .max(MAX_PLATFORM_HOST_CHARS)
  .regex(/^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$|^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$/, 'an IPv4/IPv6 address or a host name');

const fields = {
  name: printable(MAX_PLATFORM_NAME_CHARS),
  /** The superior's 20-digit platform ID. */
  serverId: deviceIdSchema,
  domain: domainSchema,
  host: hostSchema,
  port: z.number().int().min(1).max(65_535),
  transport: z.enum(['udp', 'tcp']),
  password: printable(MAX_PLATFORM_PASSWORD_CHARS),
  /** Our ID towards the superior; default the gateway's SIP_ID. null (PATCH) = back to SIP_ID. */
  localId: deviceIdSchema,
  /** Short values are for tests; superiors expect 3600. */
  expiresS: z.number().int().min(1).max(MAX_GRANTED_EXPIRES_S),
  keepaliveS: z.number().int().min(1).max(MAX_KEEPALIVE_S),
  charset: z.enum(MANSCDP_CHARSETS as [ManscdpCharset, ...ManscdpCharset[]]),
  shareAll: z.boolean(),
  channels: z
    .array(channelIdSchema)
    .max(MAX_SHARED_CHANNELS)
    .refine((a) => new Set(a).size === a.length, 'channel IDs must be unique'),
  enabled: z.boolean(),
};

const sharing = (p: { shareAll?: boolean; channels?: string[] }) => !(p.shareAll === true && p.channels !== undefined && p.channels.length > 0);
const sharingIssue = { message: 'give shareAll: true or a channels list, not both', path: ['channels'] };

export const createPlatformSchema = z
  .strictObject({
    name: fields.name,
    serverId: fields.serverId,
    domain: fields.domain,
    host: fields.host,
    port: fields.port.default(5060),
    transport: fields.transport.default('udp'),
    password: fields.password,
    localId: fields.localId.optional(),
    expiresS: fields.expiresS.default(DEFAULT_EXPIRES_S),
    keepaliveS: fields.keepaliveS.default(DEFAULT_KEEPALIVE_S),
    charset: fields.charset.default('GB2312'),
    shareAll: fields.shareAll.default(false),
    channels: fields.channels.default([]),
    enabled: fields.enabled.default(true),
  })
  .refine(sharing, sharingIssue);

export const updatePlatformSchema = z
  .strictObject({
    name: fields.name.optional(),
    serverId: fields.serverId.optional(),
    domain: fields.domain.optional(),
    host: fields.host.optional(),
    port: fields.port.optional(),
    transport: fields.transport.optional(),
    password: fields.password.optional(),
    localId: fields.localId.nullable().optional(),
    expiresS: fields.expiresS.optional(),
    keepaliveS: fields.keepaliveS.optional(),
    charset: fields.charset.optional(),
    shareAll: fields.shareAll.optional(),
    channels: fields.channels.optional(),
    enabled: fields.enabled.optional(),
  })
  .refine((p) => Object.keys(p).length > 0, { message: 'give at least one field to change' })
  .refine(sharing, sharingIssue);

export const platformIdSchema = z.uuid();

export type CreatePlatformDto = z.output<typeof createPlatformSchema>;
export type UpdatePlatformDto = z.output<typeof updatePlatformSchema>;

/** A superior platform as the API shows it: one shape for the gateway and the dashboard (libs/contracts). */
export type { PlatformDto } from '@gb/contracts';
