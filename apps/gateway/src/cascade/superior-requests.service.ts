import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import {
  canEncodeManscdpText,
  encodeCatalogResponses,
  encodeDeviceInfoResponse,
  encodeDeviceStatusResponse,
  encodeRecordInfoResponses,
  isGb28181Error,
  parseManscdp,
  type ManscdpCharset,
  type ManscdpMessage,
  type RecordItem,
} from '@gb/gb28181';
import { findAppVersion } from '../api/app-version';
import { RecordsService } from '../records/records.service';
import { formatGbTime, parseGbTime } from '../records/record-time';
import type { IncomingRequest } from '../sip/sip-endpoint';
import { SipService } from '../sip/sip.service';
import { CascadeService, type SuperiorPeer } from './cascade.service';
import { CatalogSubscriptionsService } from './catalog-subscriptions.service';
import { buildSharedCatalog, catalogPacketLimits, fitText, packItems } from './shared-catalog';
import { SharedChannelsService, type SharedChannelRef } from './shared-channels.service';
import { SuperiorControlService } from './superior-control.service';
import { SuperiorSender } from './superior-sender';

/** Most answers to superiors in progress at once (catalogs, record searches, controls); past it a request gets 503. */
export const MAX_SUPERIOR_TASKS = 32;
/** Largest MANSCDP body accepted from a superior (its queries and controls are a few hundred bytes). */
export const MAX_SUPERIOR_BODY_BYTES = 64 * 1024;
/** Most `<Item>`s in a message from a superior (none of what it asks carries a list). */
export const MAX_SUPERIOR_ITEMS = 100;
/** RecordInfo items per answer MESSAGE: two keep a UDP packet in one Ethernet frame; TCP takes more. */
export const RECORD_ITEMS_PER_PACKET_UDP = 2;
export const RECORD_ITEMS_PER_PACKET_TCP = 20;

/** What DeviceInfo says of the gateway itself (§A.2.6.5). */
export const GATEWAY_DEVICE_INFO = { deviceName: 'GB28181 Gateway', manufacturer: 'gb28181-gateway', model: 'lower-platform' } as const;

/**
 * What a superior platform asks of us as its lower platform (issue 11 items 3 and 5): MESSAGEs whose From is a
 * superior we are registered with (CascadeService.superiorOf) are claimed here, before the device handlers.
 *
 *   Query Catalog       (DeviceID = our local ID)  200, then the shared catalog in packets (§9.5.2), each after
 *                                                   the 200 to the one before, SN as asked, SumNum = all items
 *   Query DeviceInfo    our local ID               200, then the gateway's name, make, version, Channel = shared
 *                       a shared channel           200, then the channel's name, make and model
 *   Query DeviceStatus  our local ID / a channel   200, then Online ONLINE/OFFLINE, Status OK/ERROR
 *   Query RecordInfo    a shared channel           200, then the device's recordings (RecordsService) under the
 *                                                   superior's SN; SumNum 0 + Result ERROR when the device failed
 *   Control DeviceControl a shared channel         200, then relayed to the camera (SuperiorControlService)
 *   Notify / Response   (acknowledgements)         200
 *
 * A DeviceID that is neither our local ID nor a channel shared with that superior: 404. A body that does not parse
 * as MANSCDP: 400. Other queries: 200 and nothing more (logged).
 */
@Injectable()
export class SuperiorRequestsService implements OnModuleInit {
  private readonly log = new Logger('cascade');
  private inFlight = 0;
  private readonly version = findAppVersion();

  constructor(
    private readonly sip: SipService,
    private readonly cascade: CascadeService,
    private readonly shared: SharedChannelsService,
    private readonly sender: SuperiorSender,
    private readonly records: RecordsService,
    private readonly control: SuperiorControlService,
    private readonly subscriptions: CatalogSubscriptionsService,
  ) {}

  onModuleInit(): void {
    this.sip.intercept('MESSAGE', (r) => this.intercept(r));
  }

  /** Number of answers in progress (tests, metrics). */
  get tasks(): number {
    return this.inFlight;
  }

  /**
   * Claims a MESSAGE from a superior we are registered with; anything else goes on to the device handlers. Its To
   * may name us or a channel (superiors differ): the body's DeviceID decides what is asked about.
   */
  intercept(r: IncomingRequest): boolean {
    const peer = this.cascade.superiorOf(r.req, r.flow, { toChannel: true });
    if (!peer) return false;
    let m: ManscdpMessage;
    try {
      m = parseManscdp(r.req.body, { limits: { maxBodyBytes: MAX_SUPERIOR_BODY_BYTES, maxItems: MAX_SUPERIOR_ITEMS } });
    } catch (e) {
      r.respond(400, isGb28181Error(e) ? `Bad Request (${e.code})` : 'Bad Request');
      return true;
    }
    if (m.root === 'Notify' || m.root === 'Response') {
      r.respond(200, 'OK');
      return true;
    }
    void this.answer(peer, m, r).catch((e: Error) => {
      this.log.warn(`superior platform ${peer.platform.id}: ${m.root} ${m.cmdType} SN ${m.sn}: ${e.message}`);
      try {
        r.respond(500, 'Server Internal Error');
      } catch {
        /* already answered */
      }
    });
    return true;
  }

  private async answer(peer: SuperiorPeer, m: ManscdpMessage, r: IncomingRequest): Promise<void> {
    const own = m.deviceId === peer.localId;
    const channel = own ? undefined : await this.shared.resolve(peer.platform, m.deviceId);
    if (!own && !channel) {
      r.respond(404, 'Not Found');
      return;
    }
    if (this.inFlight >= MAX_SUPERIOR_TASKS) {
      r.respond(503, 'Service Unavailable', { headers: [['Retry-After', '5']] });
      return;
    }
    const charset = peer.platform.charset as ManscdpCharset;
    const work = (): Promise<unknown> | undefined => {
      switch (m.kind) {
        case 'CatalogQuery':
          return own ? this.sendCatalog(peer, m.sn, charset) : undefined;
        case 'DeviceInfoQuery':
          return own ? this.sendOwnInfo(peer, m.sn, charset) : this.sendChannelInfo(peer, m.sn, channel!, charset);
        case 'DeviceStatusQuery': {
          const online = own || channel!.channel.online;
          return this.sender.message(peer, encodeDeviceStatusResponse({
            sn: m.sn, deviceId: m.deviceId, result: 'OK', online: online ? 'ONLINE' : 'OFFLINE', status: online ? 'OK' : 'ERROR', deviceTime: formatGbTime(Math.floor(Date.now() / 1000)), charset,
          }));
        }
        case 'RecordInfoQuery':
          return channel ? this.sendRecords(peer, m, channel, charset) : undefined;
        default:
          if (m.root === 'Control' && m.cmdType === 'DeviceControl') return this.control.relay(peer, m, channel ?? null);
          if (m.root === 'Control') return this.control.refuse(peer, m);
          this.log.debug(`superior platform ${peer.platform.id}: ${m.root} ${m.cmdType} for ${m.deviceId} is not answered`);
          return undefined;
      }
    };
    if (m.kind === 'RecordInfoQuery' && (parseGbTime(m.startTime ?? '') === null || parseGbTime(m.endTime ?? '') === null)) {
      r.respond(400, 'Bad Request (StartTime/EndTime)');
      return;
    }
    r.respond(200, 'OK');
    this.inFlight++;
    try {
      await work();
    } finally {
      this.inFlight--;
    }
  }

  /** §9.5.2: the shared catalog, packet by packet, each after the 200 to the one before. */
  private async sendCatalog(peer: SuperiorPeer, sn: number, charset: ManscdpCharset): Promise<void> {
    const { channels, directories } = await this.shared.catalogOf(peer.platform);
    const items = buildSharedCatalog({ channels, directories, localId: peer.localId, charset });
    const packets = packItems(items, peer.localId, catalogPacketLimits(peer.flow.transport, charset));
    const bodies = packets.map((part) => encodeCatalogResponses({ sn, deviceId: peer.localId, sumNum: items.length, items: part, perMessage: Math.max(1, part.length), charset })[0]!);
    const sent = await this.sender.sequence(peer, bodies);
    if (sent === bodies.length) this.subscriptions.shownTo(peer.platform.id, items);
    if (sent < bodies.length) this.log.warn(`superior platform ${peer.platform.id}: catalog SN ${sn} stopped after ${sent} of ${bodies.length} packets (refused or unanswered)`);
    else this.log.log(`superior platform ${peer.platform.id}: catalog SN ${sn}, ${items.length} items in ${bodies.length} packets`);
  }

  private async sendOwnInfo(peer: SuperiorPeer, sn: number, charset: ManscdpCharset): Promise<void> {
    const { channels } = await this.shared.catalogOf(peer.platform);
    await this.sender.message(peer, encodeDeviceInfoResponse({ sn, deviceId: peer.localId, ...GATEWAY_DEVICE_INFO, firmware: this.version, channel: channels.length, result: 'OK', charset }));
  }

  /** DeviceInfo of a shared channel, from what its catalog row and its device told us (no round trip). */
  private async sendChannelInfo(peer: SuperiorPeer, sn: number, ref: SharedChannelRef, charset: ManscdpCharset): Promise<void> {
    const text = (s: string | null | undefined) => (s ? fitText(s, charset) : undefined);
    await this.sender.message(peer, encodeDeviceInfoResponse({
      sn, deviceId: ref.channelId, deviceName: fitText(ref.channel.name ?? ref.channelId, charset), manufacturer: text(ref.channel.manufacturer ?? ref.device.manufacturer),
      model: text(ref.channel.model ?? ref.device.model), firmware: text(ref.device.firmware), channel: 1, result: 'OK', charset,
    }));
  }

  /**
   * §9.7: the channel's recordings from its device (RecordsService: the device's multi-packet answer reassembled),
   * answered under the superior's SN. A device that refused, did not answer or is gone: SumNum 0 and Result ERROR.
   */
  private async sendRecords(peer: SuperiorPeer, m: Extract<ManscdpMessage, { kind: 'RecordInfoQuery' }>, ref: SharedChannelRef, charset: ManscdpCharset): Promise<void> {
    const deviceId = ref.deviceId;
    const start = parseGbTime(m.startTime!)!;
    const end = parseGbTime(m.endTime!)!;
    let items: RecordItem[] = [];
    let result: string | undefined;
    const name = fitText(ref.channel.name ?? ref.channelId, charset);
    try {
      const list = await this.records.list(deviceId, m.deviceId, start, end);
      const wanted = m.type && m.type.toLowerCase() !== 'all' ? m.type.toLowerCase() : null;
      items = list.records
        .filter((r) => !wanted || !r.type || r.type.toLowerCase() === wanted)
        .map((r) => ({
          deviceId: m.deviceId, name: r.name, filePath: r.filePath, address: null, startTime: formatGbTime(r.start), endTime: formatGbTime(r.end),
          secrecy: '0', type: r.type, recorderId: null, fileSize: r.fileSize,
        }));
    } catch (e) {
      this.log.warn(`superior platform ${peer.platform.id}: RecordInfo for ${m.deviceId} on ${deviceId}: ${(e as Error).message}`);
      result = 'ERROR';
    }
    const perMessage = peer.flow.transport === 'udp' ? RECORD_ITEMS_PER_PACKET_UDP : RECORD_ITEMS_PER_PACKET_TCP;
    const texts = items.flatMap((i) => [i.name ?? '', i.filePath ?? '']);
    const bodies = encodeRecordInfoResponses({ sn: m.sn, deviceId: m.deviceId, name, sumNum: items.length, items, perMessage, result, charset: safeCharset(charset, texts) });
    await this.sender.sequence(peer, bodies);
  }
}

/**
 * The platform's charset, or GB18030 (its superset, declared in the prolog) when it cannot carry texts we pass on
 * verbatim (file names of recordings): a recording list with a mangled FilePath is worse than a wider charset.
 */
function safeCharset(charset: ManscdpCharset, texts: readonly string[]): ManscdpCharset {
  return texts.every((t) => canEncode(t, charset)) ? charset : 'GB18030';
}

function canEncode(t: string, charset: ManscdpCharset): boolean {
  return t === '' || canEncodeManscdpText(t, charset);
}
