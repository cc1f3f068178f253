import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { AlertDto, ChannelCongestionDto, ChannelRoisDto, CongestionScore, ExclusionZone, Roi, SceneState, SnapshotBox, WorkerToGatewayMessage } from '@gb/contracts';
import { ChannelEntity, type AlertRow, type Database } from '@gb/persistence';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { DATABASE } from '../database/database.providers';
import { EventBus } from '../events/event-bus';
import { GatewayError } from '../common/gateway-error';
import { StreamsService } from '../streams/streams.service';
import { NodesService } from '../cluster/nodes.service';
import { DevicesService } from '../devices/devices.service';
import { AlertStateMachine, type AlertTransition } from '@gb/contracts';
import { AlertSnapshots } from './alert-snapshots';
import { CongestionOnsets } from './congestion-onsets';
import { downsampleHistory, SampleAccumulator, type SampleOut } from './congestion-history';
import type { VisionLink } from './vision-link';

export const VISION_LINK = Symbol('VISION_LINK');
/** How long an alert waits for its snapshot from the worker. */
export const SNAPSHOT_TIMEOUT_MS = 5000;
/** Most channels watched at once by one gateway. */
export const MAX_WATCHED_CHANNELS = 256;

interface Watched {
  channelId: string;
  deviceId: string;
  rois: Roi[];
  /** Hand-drawn zones whose detections never count, sent in every watch message. */
  exclusions: ExclusionZone[];
  state: ChannelCongestionDto['state'];
  error: string | null;
  updatedAt: number | null;
  scores: CongestionScore[];
  /** Detection boxes of the last scored frame (parseWorkerMessage bounded them). */
  boxes: SnapshotBox[];
  /** The worker's scene state of the last score (fixtures, OSD areas, detector choice); null before one. */
  scene: SceneState | null;
  sourceUrl: string | null;
  /** Serialises alert writes of this channel (a clear must not overtake its raise). */
  alerts: Promise<void>;
  alertIds: Map<string, string>;
}

/**
 * Congestion use-cases: watch / unwatch a channel (keeps its live stream open and hands it to a vision
 * worker), ROIs, the latest scores, the stored history, and alerts (state machine per channel/ROI,
 * persisted, pushed as events, with a JPEG snapshot from the worker).
 */
@Injectable()
export class CongestionService implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('congestion');
  private readonly watched = new Map<string, Watched>();
  private readonly machine: AlertStateMachine;
  /** Onset ("forming") warnings per channel/ROI, ahead of the held alerts. */
  private readonly onsets: CongestionOnsets;
  private readonly samples: SampleAccumulator;
  private readonly snapshots: AlertSnapshots;
  private readonly snapshotWaiters = new Map<string, (jpeg: Buffer | null) => void>();
  private writes: Promise<void> = Promise.resolve();
  private tick?: NodeJS.Timeout;
  private lastPrune = 0;
  private keeping = false;
  /** Watches being written by watch(): a heartbeat's claim that ran before the row existed must not drop them. */
  private readonly adding = new Set<string>();
  private started = false;
  private unsubscribeReleased?: () => void;
  private unsubscribePtz?: () => void;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    @Inject(DATABASE) private readonly db: Database,
    @Inject(EventBus) private readonly events: EventBus,
    @Inject(StreamsService) private readonly streams: StreamsService,
    @Inject(HttpAdapterHost) private readonly http: HttpAdapterHost,
    @Inject(VISION_LINK) private readonly link: VisionLink | null,
    @Inject(NodesService) private readonly nodes: NodesService,
    @Inject(DevicesService) private readonly devices: DevicesService,
  ) {
    this.machine = new AlertStateMachine({ level: cfg.ALERT_LEVEL, holdMs: cfg.ALERT_HOLD_MS, clearLevel: cfg.ALERT_CLEAR_LEVEL, clearHoldMs: cfg.ALERT_CLEAR_HOLD_MS });
    this.onsets = new CongestionOnsets({ windowMs: cfg.ONSET_WINDOW_MS, minSlopePerMin: cfg.ONSET_SLOPE_PER_MIN, minShareRise: cfg.ONSET_SHARE_RISE, minIndex: cfg.ONSET_MIN_INDEX, clearMs: cfg.ONSET_CLEAR_MS });
    this.samples = new SampleAccumulator(cfg.CONGESTION_SAMPLE_MS);
    this.snapshots = new AlertSnapshots(cfg.DATA_DIR);
  }

  async onModuleInit(): Promise<void> {
    // Alerts this node left active in a previous run have lost their state machine: close them. Other nodes' stay.
    for (const a of await this.db.alerts.listActive(this.cfg.NODE_ID)) await this.db.alerts.update(a.id, { state: 'cleared', clearedAt: new Date() });
    // Channels watched before a restart resume: listed as starting now; the first keepAlive tick (after
    // the HTTP server listens, whose port the worker's source URL needs) plays them.
    if (this.link) {
      await this.claimWatches();
      if (this.watched.size) this.log.log(`resuming ${this.watched.size} watched channel(s)`);
      this.link.start((m) => this.onWorkerMessage(m)).catch((e: Error) => this.log.error(`vision link (${this.link!.mode}) failed to start: ${e.message}`));
      // Each heartbeat: renew this node's watch leases and take the watches of devices it owns now (a dead node's).
      this.nodes.onTick('watch leases', () => this.claimWatches());
      // Devices that moved to another node take their watches along: let go here, at once.
      this.unsubscribeReleased = this.devices.onReleased((ids) => void this.releaseDevices(new Set(ids)));
      // A PTZ move or a preset call changes the picture: the worker forgets the scene's fixtures and OSD areas.
      this.unsubscribePtz = this.events.subscribe((e) => {
        if (e.type === 'ptz.sent' && e.data.movesCamera && this.watched.has(e.data.channelId)) this.link?.resetScene(e.data.channelId);
      });
    }
    this.tick = setInterval(() => void this.keepAlive(), this.cfg.VISION_RETRY_MS);
  }

  /**
   * The watches this node scores: those of devices it owns, claimed in the database with a lease (renewed here
   * each heartbeat). Every watched channel is scored by exactly one node; one that lost its lease is let go.
   */
  private async claimWatches(): Promise<void> {
    if (!this.link) return;
    const rows = await this.db.watches.claimForOwner(this.cfg.NODE_ID, this.cfg.NODE_DEAD_AFTER_MS, MAX_WATCHED_CHANNELS);
    const held = new Set(rows.map((r) => r.channelId));
    let added = 0;
    for (const row of rows) {
      if (this.watched.has(row.channelId)) continue;
      this.watched.set(row.channelId, this.newWatched(row.channelId, row.deviceId, await this.loadRois(row.channelId), await this.loadExclusions(row.channelId)));
      added++;
    }
    if (added && this.started) this.log.log(`took over ${added} watched channel(s)`);
    this.started = true;
    for (const w of [...this.watched.values()]) if (!held.has(w.channelId) && !this.adding.has(w.channelId)) this.dropLocally(w);
  }

  private async releaseDevices(deviceIds: Set<string>): Promise<void> {
    const gone = [...this.watched.values()].filter((w) => deviceIds.has(w.deviceId));
    for (const w of gone) this.dropLocally(w);
    await this.db.watches.release(this.cfg.NODE_ID, gone.map((w) => w.channelId)).catch((e: Error) => this.log.error(`watch release failed: ${e.message}`));
  }

  /** Stops scoring a channel here without forgetting the watch (another node scores it now). */
  private dropLocally(w: Watched): void {
    this.watched.delete(w.channelId);
    this.link?.unwatch(w.channelId);
    this.persist(this.samples.flush(w.channelId));
    for (const roi of new Set([...w.rois.map((r) => r.id), ...w.scores.map((s) => s.roi), 'frame'])) this.machine.reset(`${w.channelId}/${roi}`);
    this.resetOnsets(w.channelId);
    this.log.log(`channel ${w.channelId} is scored by another node now`);
  }

  // ---------------------------------------------------------------- watch

  async watch(channelId: string, deviceIdHint?: string): Promise<ChannelCongestionDto> {
    if (!this.link) throw new GatewayError('FEATURE_DISABLED', 'congestion scoring is off: set NATS_URL, or VISION_EMBEDDED=true');
    const existing = this.watched.get(channelId);
    if (existing) return this.toDto(existing);
    if (this.watched.size >= MAX_WATCHED_CHANNELS) throw new GatewayError('CONFLICT', `already watching ${MAX_WATCHED_CHANNELS} channels`);
    const deviceId = await this.deviceOf(channelId, deviceIdHint);
    const rois = await this.loadRois(channelId);
    const w = this.newWatched(channelId, deviceId, rois, await this.loadExclusions(channelId));
    this.watched.set(channelId, w);
    this.adding.add(channelId);
    try {
      await this.db.watches.add(channelId, deviceId, new Date(), { node: this.cfg.NODE_ID, leaseMs: this.cfg.NODE_DEAD_AFTER_MS });
    } catch (e) {
      this.watched.delete(channelId);
      throw e;
    } finally {
      this.adding.delete(channelId);
    }
    await this.startStream(w);
    return this.toDto(w);
  }

  private newWatched(channelId: string, deviceId: string, rois: Roi[], exclusions: ExclusionZone[]): Watched {
    return { channelId, deviceId, rois, exclusions, state: 'starting', error: null, updatedAt: null, scores: [], boxes: [], scene: null, sourceUrl: null, alerts: Promise.resolve(), alertIds: new Map() };
  }

  async unwatch(channelId: string): Promise<void> {
    const w = this.watched.get(channelId);
    if (!w) throw new GatewayError('CHANNEL_NOT_FOUND', `channel ${channelId} is not watched`);
    this.watched.delete(channelId);
    await this.db.watches.remove(channelId);
    this.link?.unwatch(channelId);
    this.persist(this.samples.flush(channelId));
    for (const roi of new Set([...w.rois.map((r) => r.id), ...w.scores.map((s) => s.roi), 'frame'])) {
      const key = `${channelId}/${roi}`;
      if (this.machine.reset(key)) this.applyAlert(w, { kind: 'clear', key, peakIndex: 0 });
    }
    this.resetOnsets(channelId);
    await w.alerts;
  }

  /** Plays the channel (or joins its stream) and hands its FLV URL to the worker. Errors become the channel's status. */
  private async startStream(w: Watched): Promise<void> {
    try {
      const dto = await this.streams.play(w.deviceId, w.channelId);
      if (!this.watched.has(w.channelId)) return;
      // The worker pulls from this node (or VISION_SOURCE_BASE_URL), whatever origin PUBLIC_URL put in the URL.
      w.sourceUrl = `${this.sourceBase()}${dto.urls.flv.replace(/^https?:\/\/[^/]+/, '')}`;
      this.link!.watch({ type: 'watch', channelId: w.channelId, deviceId: w.deviceId, sourceUrl: w.sourceUrl, rois: w.rois, exclusions: w.exclusions, fps: this.cfg.VISION_FPS });
    } catch (e) {
      this.setStatus(w, 'error', `STREAM_FAILED: ${(e as Error).message}`);
    }
  }

  /** Restarts streams of watched channels that stopped (device BYE, no RTP); prunes old samples daily. */
  private async keepAlive(): Promise<void> {
    if (this.keeping) return; // a play() can take INVITE_TIMEOUT_MS + STREAM_NO_RTP_TIMEOUT_MS
    this.keeping = true;
    try {
      for (const w of [...this.watched.values()]) {
        const s = this.streams.get(StreamsService.streamIdOf(w.deviceId, w.channelId));
        if (!s || s.state === 'failed' || s.state === 'closed') await this.startStream(w);
      }
    } finally {
      this.keeping = false;
    }
    if (Date.now() - this.lastPrune > 86_400_000) {
      this.lastPrune = Date.now();
      this.enqueue(async () => void (await this.db.congestion.prune(new Date(Date.now() - this.cfg.CONGESTION_RETENTION_DAYS * 86_400_000))));
    }
  }

  private sourceBase(): string {
    if (this.cfg.VISION_SOURCE_BASE_URL) return this.cfg.VISION_SOURCE_BASE_URL.replace(/\/$/, '');
    const addr = this.http.httpAdapter?.getHttpServer()?.address() as AddressInfo | null;
    return `http://127.0.0.1:${addr?.port ?? this.cfg.HTTP_PORT}`;
  }

  private async deviceOf(channelId: string, hint?: string): Promise<string> {
    const row = await this.db.dataSource.getRepository(ChannelEntity).findOne({ where: hint ? { channelId, deviceId: hint } : { channelId } });
    if (row) return row.deviceId;
    if (hint && this.streams.get(StreamsService.streamIdOf(hint, channelId))) return hint;
    const proxied = await this.streams.virtualDeviceOf(channelId, hint); // a stream proxy's channel (no catalog row)
    if (proxied) return proxied;
    throw new GatewayError('CHANNEL_NOT_FOUND', `no channel ${channelId}${hint ? ` on device ${hint}` : ''} in any catalog`);
  }

  // ---------------------------------------------------------------- ROIs

  /** Replaces the ROIs; `exclusions` replaces the exclusion zones too (`[]` clears them), absent keeps them. */
  async setRois(channelId: string, rois: Roi[], deviceIdHint?: string, exclusions?: ExclusionZone[]): Promise<ChannelRoisDto> {
    const deviceId = this.watched.get(channelId)?.deviceId ?? (await this.deviceOf(channelId, deviceIdHint));
    await this.db.rois.replace(channelId, deviceId, rois.map((r) => ({ roiId: r.id, polygon: r.polygon, calibration: (r.calibration as Record<string, number> | undefined) ?? null })));
    if (exclusions) await this.db.exclusions.replace(channelId, deviceId, exclusions.map((z) => ({ zoneId: z.id, polygon: z.polygon })));
    const zones = exclusions ?? (await this.loadExclusions(channelId));
    const w = this.watched.get(channelId);
    if (w) {
      const ids = new Set(rois.map((r) => r.id));
      for (const s of w.scores) if (!ids.has(s.roi) && this.machine.reset(`${channelId}/${s.roi}`)) this.applyAlert(w, { kind: 'clear', key: `${channelId}/${s.roi}`, peakIndex: 0 });
      w.rois = rois;
      this.resetOnsets(channelId);
      w.exclusions = zones;
      w.scores = [];
      if (w.sourceUrl) this.link?.watch({ type: 'watch', channelId, deviceId: w.deviceId, sourceUrl: w.sourceUrl, rois, exclusions: zones, fps: this.cfg.VISION_FPS });
    }
    return { rois, exclusions: zones };
  }

  async getRois(channelId: string): Promise<Roi[]> {
    return this.loadRois(channelId);
  }

  private async loadRois(channelId: string): Promise<Roi[]> {
    return (await this.db.rois.list(channelId)).map((r) => ({ id: r.roiId, polygon: r.polygon, ...(r.calibration ? { calibration: r.calibration } : {}) }));
  }

  /** The channel's stored exclusion zones (the worker drops detections whose centre lies in one). */
  async loadExclusions(channelId: string): Promise<ExclusionZone[]> {
    return (await this.db.exclusions.list(channelId)).map((z) => ({ id: z.zoneId, polygon: z.polygon }));
  }

  // ---------------------------------------------------------------- scores and history

  latest(): ChannelCongestionDto[] {
    return [...this.watched.values()].map((w) => this.toDto(w));
  }

  async history(channelId: string, from: Date, to: Date, stepMs: number) {
    const rows = await this.db.congestion.range(channelId, from, to);
    return { channelId, from: from.toISOString(), to: to.toISOString(), points: downsampleHistory(rows, from.getTime(), to.getTime(), stepMs) };
  }

  /** Handles one worker message; never throws. */
  onWorkerMessage(m: WorkerToGatewayMessage): void {
    try {
      if (m.type === 'snapshot') {
        this.snapshotWaiters.get(m.requestId)?.(m.jpegBase64 ? Buffer.from(m.jpegBase64, 'base64') : null);
        return;
      }
      if (m.type === 'heartbeat') return;
      const w = this.watched.get(m.channelId);
      if (!w) return;
      if (m.type === 'status') return this.setStatus(w, m.state === 'stopped' ? 'starting' : m.state, m.error ?? null);
      this.onScore(w, m.t, m.scores, m.boxes ?? [], m.scene ?? null);
    } catch (e) {
      this.log.error(`worker message ${m.type} failed: ${(e as Error).stack}`);
    }
  }

  private onScore(w: Watched, t: number, scores: CongestionScore[], boxes: SnapshotBox[], scene: SceneState | null): void {
    w.scores = scores;
    w.boxes = boxes;
    w.scene = scene;
    w.updatedAt = t;
    this.setStatus(w, 'running', null);
    for (const s of scores) {
      this.persist(this.samples.add(w.channelId, s, t));
      // The onset warning first: a score that both warns and raises publishes congestion.forming before alert.raised.
      const on = this.onsets.update(w.channelId, s, t);
      if (on?.type === 'forming') this.events.publish('congestion.forming', { channelId: w.channelId, roi: s.roi, index: on.index, slopePerMin: on.slopePerMin, stationaryShare: on.stationaryShare, at: new Date(on.t).toISOString() });
      else if (on) this.events.publish('congestion.forming.ended', { channelId: w.channelId, roi: s.roi, reason: on.reason });
      const tr = this.machine.update(`${w.channelId}/${s.roi}`, s, t);
      // A raise records the warning that announced it (taken now: the alert itself is written asynchronously).
      if (tr) this.applyAlert(w, tr, tr.kind === 'raise' ? this.onsets.takeWarning(w.channelId, s.roi) : null);
    }
    this.events.publish('congestion.score', { channelId: w.channelId, t: new Date(t).toISOString(), scores, boxes, scene });
  }

  private setStatus(w: Watched, state: Watched['state'], error: string | null): void {
    if (w.state === state && w.error === error) return;
    w.state = state;
    w.error = error;
    if (state === 'error') this.log.warn(`${w.channelId}: ${error}`);
    this.events.publish('congestion.status', { channelId: w.channelId, state, error });
  }

  // ---------------------------------------------------------------- alerts

  private applyAlert(w: Watched, tr: AlertTransition, warnedAt: number | null = null): void {
    const roi = tr.key.slice(w.channelId.length + 1);
    w.alerts = w.alerts.then(async () => {
      try {
        if (tr.kind === 'raise') {
          // Snapshot first (bounded wait), so an alert is never visible without the picture it will have.
          const id = randomUUID();
          const jpeg = await this.takeSnapshot(w.channelId);
          const file = jpeg ? await this.snapshots.write(id, jpeg) : null;
          const row = await this.db.alerts.create({ id, channelId: w.channelId, deviceId: w.deviceId, roiId: roi, level: tr.level, peakIndex: tr.peakIndex, raisedAt: new Date(tr.since), snapshotFile: file, nodeId: this.cfg.NODE_ID, warnedAt: warnedAt === null ? null : new Date(warnedAt) });
          w.alertIds.set(roi, row.id);
          this.events.publish('alert.raised', toAlertDto(row));
        } else {
          const id = w.alertIds.get(roi);
          if (!id) return;
          if (tr.kind === 'peak') {
            await this.db.alerts.update(id, { peakIndex: tr.peakIndex, level: tr.level });
            return;
          }
          w.alertIds.delete(roi);
          const row = await this.db.alerts.update(id, { state: 'cleared', clearedAt: new Date() });
          if (row) this.events.publish('alert.cleared', toAlertDto(row));
        }
      } catch (e) {
        this.log.error(`alert ${tr.kind} for ${tr.key} failed: ${(e as Error).message}`);
      }
    });
  }

  /** Forgets a channel's onset detectors (watch stopped, ROIs changed); a warning that was out ends with reason 'reset'. */
  private resetOnsets(channelId: string): void {
    for (const roi of this.onsets.reset(channelId)) this.events.publish('congestion.forming.ended', { channelId, roi, reason: 'reset' });
  }

  private takeSnapshot(channelId: string): Promise<Buffer | null> {
    const requestId = randomUUID();
    return new Promise((resolve) => {
      const t = setTimeout(() => done(null), SNAPSHOT_TIMEOUT_MS);
      const done = (jpeg: Buffer | null) => {
        clearTimeout(t);
        this.snapshotWaiters.delete(requestId);
        resolve(jpeg);
      };
      this.snapshotWaiters.set(requestId, done);
      this.link?.requestSnapshot(channelId, requestId);
    });
  }

  async listAlerts(filter: { state?: 'active' | 'cleared'; channelId?: string; limit?: number }): Promise<AlertDto[]> {
    return (await this.db.alerts.list(filter)).map(toAlertDto);
  }

  /** Idempotent: a second ack keeps the first one's user, time and comment. */
  async ack(id: string, user: string, comment?: string): Promise<AlertDto> {
    const a = await this.db.alerts.get(id);
    if (!a) throw new GatewayError('ALERT_NOT_FOUND', `no alert ${id}`);
    if (a.ackedAt) return toAlertDto(a);
    const row = (await this.db.alerts.update(id, { ackedAt: new Date(), ackedBy: user, ackComment: comment || null }))!;
    const dto = toAlertDto(row);
    this.events.publish('alert.acked', dto);
    return dto;
  }

  async snapshot(id: string): Promise<Buffer> {
    const a = await this.db.alerts.get(id);
    const jpeg = a?.snapshotFile ? await this.snapshots.read(a.snapshotFile) : null;
    if (!jpeg) throw new GatewayError('ALERT_NOT_FOUND', a ? `alert ${id} has no snapshot` : `no alert ${id}`);
    return jpeg;
  }

  // ---------------------------------------------------------------- plumbing

  private persist(samples: SampleOut[]): void {
    if (samples.length) this.enqueue(() => this.db.congestion.insertMany(samples));
  }

  private enqueue(work: () => Promise<void>): void {
    this.writes = this.writes.then(work).catch((e: Error) => this.log.error(`congestion write failed: ${e.message}`));
  }

  private toDto(w: Watched): ChannelCongestionDto {
    return { channelId: w.channelId, deviceId: w.deviceId, state: w.state, error: w.error, workerId: this.link?.workerOf(w.channelId) ?? null, updatedAt: w.updatedAt ? new Date(w.updatedAt).toISOString() : null, scores: w.scores, boxes: w.boxes, scene: w.scene, exclusions: w.exclusions, forming: this.onsets.formingOf(w.channelId) };
  }

  /** Before any onApplicationShutdown: the database must still be open for the last samples and alerts. */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.tick);
    this.unsubscribeReleased?.();
    this.unsubscribePtz?.();
    this.persist(this.samples.flush());
    await Promise.all([...this.watched.values()].map((w) => w.alerts));
    for (const done of this.snapshotWaiters.values()) done(null);
    await this.link?.close();
    await this.writes;
  }
}

export function toAlertDto(a: AlertRow): AlertDto {
  return {
    id: a.id, channelId: a.channelId, deviceId: a.deviceId, roi: a.roiId, level: a.level as AlertDto['level'], peakIndex: a.peakIndex, state: a.state,
    raisedAt: a.raisedAt.toISOString(), clearedAt: a.clearedAt?.toISOString() ?? null, ackedAt: a.ackedAt?.toISOString() ?? null, ackedBy: a.ackedBy, ackComment: a.ackComment ?? null,
    snapshotUrl: a.snapshotFile ? `/api/alerts/${a.id}/snapshot` : null,
    node: a.nodeId,
    warnedAt: a.warnedAt?.toISOString() ?? null,
    // Seconds from the warning to the time the alert level was first reached (the alert's raisedAt).
    leadS: a.warnedAt ? Math.round((a.raisedAt.getTime() - a.warnedAt.getTime()) / 1000) : null,
  };
}
