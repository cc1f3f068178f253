import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { encodeQuery, RecordInfoAggregator, type ManscdpMessage, type RecordInfoResult } from '@gb/gb28181';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { GatewayError } from '../common/gateway-error';
import { DevicesService } from '../devices/devices.service';
import { DeviceQueriesService } from '../devices/device-queries.service';
import { DeviceMessagesService } from '../devices/device-messages.service';
import { formatGbTime } from './record-time';
import { toRecordList, type RecordListDto } from './record-list.mapper';

/** Longest time span one RecordInfo query may cover. */
export const MAX_RECORD_QUERY_SPAN_S = 31 * 86_400;
/** How long the device may take to send its first RecordInfo answer (searching its disk) after accepting the query. */
export const RECORD_FIRST_ANSWER_TIMEOUT_MS = 10_000;
/** Upper bound on a whole RecordInfo exchange; what arrived by then is returned with complete: false. */
export const RECORD_QUERY_TIMEOUT_MS = 60_000;
/** Most recordings one answer may list (peer-controlled); past it the list ends incomplete. */
export const MAX_RECORD_ITEMS = 10_000;
/** Most RecordInfo queries waiting for answers at once. */
export const MAX_PENDING_RECORD_QUERIES = 64;

interface PendingQuery {
  deviceId: string;
  channelId: string;
  sn: number;
  /** One aggregator per query, so ending one query early never ends another. */
  agg: RecordInfoAggregator;
  received: boolean;
  timers: { first?: NodeJS.Timeout; gap?: NodeJS.Timeout; overall?: NodeJS.Timeout };
  resolve(r: RecordListDto): void;
  reject(e: Error): void;
}

/**
 * Recorded-video search (GB/T 28181-2016 §9.7, §A.2.4.5 query, §A.2.6.6 answer): a RecordInfo query addressed
 * to the channel, and the device's multi-packet answer reassembled by SN/SumNum like the catalog: reordering and
 * duplicates tolerated; after a gap without packets (CATALOG_GAP_TIMEOUT_MS) or the overall bound, what arrived
 * is returned with `complete: false`.
 */
@Injectable()
export class RecordsService implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger('records');
  private readonly pending = new Map<string, PendingQuery>();
  private unsubscribe?: () => void;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    private readonly devices: DevicesService,
    private readonly queries: DeviceQueriesService,
    private readonly messages: DeviceMessagesService,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.messages.subscribe((deviceId, m) => this.onMessage(deviceId, m));
  }

  /** Lists a channel's recordings between start and end (unix seconds). */
  async list(deviceId: string, channelId: string, start: number, end: number): Promise<RecordListDto> {
    if (!(end > start)) throw new GatewayError('VALIDATION_FAILED', 'end: must be after start');
    if (end - start > MAX_RECORD_QUERY_SPAN_S) throw new GatewayError('VALIDATION_FAILED', `end: the span may be at most ${MAX_RECORD_QUERY_SPAN_S / 86_400} days`);
    const device = this.devices.requireOnline(deviceId);
    await this.devices.requireChannel(deviceId, channelId);
    if (this.pending.size >= MAX_PENDING_RECORD_QUERIES) throw new GatewayError('CONFLICT', `more than ${MAX_PENDING_RECORD_QUERIES} record queries are in progress; try again shortly`);
    const sn = this.queries.nextSn();
    const key = keyOf(deviceId, sn);
    const answer = new Promise<RecordListDto>((resolve, reject) => {
      const p: PendingQuery = {
        deviceId, channelId, sn, received: false, timers: {}, resolve, reject,
        agg: new RecordInfoAggregator({ gapTimeoutMs: this.cfg.CATALOG_GAP_TIMEOUT_MS, maxItems: MAX_RECORD_ITEMS, maxPending: 1 }),
      };
      p.agg.start(deviceId, sn, Date.now());
      p.timers.first = setTimeout(() => {
        if (p.received) return;
        this.settle(p, new GatewayError('DEVICE_TIMEOUT', `device ${deviceId} accepted the RecordInfo query for ${channelId} but sent no answer within ${RECORD_FIRST_ANSWER_TIMEOUT_MS} ms`, { deviceId, channelId }));
      }, RECORD_FIRST_ANSWER_TIMEOUT_MS);
      p.timers.overall = setTimeout(() => this.endWithWhatArrived(p), RECORD_QUERY_TIMEOUT_MS);
      this.pending.set(key, p);
    });
    // Addressed to the channel: the body's DeviceID names the camera whose recordings are wanted (§9.7.2).
    const body = encodeQuery('RecordInfo', sn, channelId, { StartTime: formatGbTime(start), EndTime: formatGbTime(end), Secrecy: 0, Type: 'all' });
    try {
      await this.queries.sendManscdp(device, body, 'RecordInfo query');
    } catch (e) {
      const p = this.pending.get(key);
      const err = e instanceof GatewayError ? e : new GatewayError('DEVICE_TIMEOUT', `device ${deviceId} did not answer the RecordInfo query`, { deviceId }, { cause: e });
      if (p) this.settle(p, err);
      answer.catch(() => undefined);
      throw err;
    }
    return answer;
  }

  /** Number of queries waiting for answers. */
  get inFlight(): number {
    return this.pending.size;
  }

  private onMessage(deviceId: string, m: ManscdpMessage): void {
    if (m.kind !== 'RecordInfoResponse') return;
    const p = this.pending.get(keyOf(deviceId, m.sn));
    if (!p) {
      this.log.debug(`RecordInfo answer SN ${m.sn} from ${deviceId} matches no query (late or unsolicited)`);
      return;
    }
    p.received = true;
    const ev = p.agg.add(deviceId, { sn: m.sn, sumNum: m.sumNum, items: m.items }, Date.now());
    if (ev.status === 'complete') return this.settle(p, ev.result);
    clearTimeout(p.timers.gap);
    p.timers.gap = setTimeout(() => this.endWithWhatArrived(p), this.cfg.CATALOG_GAP_TIMEOUT_MS);
  }

  private endWithWhatArrived(p: PendingQuery): void {
    const [result] = p.agg.expire(Number.MAX_SAFE_INTEGER);
    if (result && result.items.length === 0 && !p.received) {
      this.settle(p, new GatewayError('DEVICE_TIMEOUT', `device ${p.deviceId} sent no RecordInfo answer for ${p.channelId}`, { deviceId: p.deviceId }));
      return;
    }
    this.settle(p, result ?? { deviceId: p.deviceId, sn: p.sn, sumNum: 0, items: [], complete: false });
  }

  private settle(p: PendingQuery, outcome: RecordInfoResult | Error): void {
    const key = keyOf(p.deviceId, p.sn);
    if (this.pending.get(key) !== p) return;
    this.pending.delete(key);
    clearTimeout(p.timers.first);
    clearTimeout(p.timers.gap);
    clearTimeout(p.timers.overall);
    if (outcome instanceof Error) return p.reject(outcome);
    if (!outcome.complete) this.log.warn(`RecordInfo for ${p.channelId} on ${p.deviceId} incomplete: ${outcome.items.length} of ${outcome.sumNum}`);
    p.resolve(toRecordList(p.deviceId, p.channelId, outcome));
  }

  onApplicationShutdown(): void {
    this.unsubscribe?.();
    for (const p of [...this.pending.values()]) this.settle(p, new GatewayError('INTERNAL', 'shutting down'));
  }
}

function keyOf(deviceId: string, sn: number): string {
  return `${deviceId}:${sn}`;
}
