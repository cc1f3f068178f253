import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { mkdir, stat, unlink } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';
import type { RecordPlanDto, RecordingSegmentDto } from '@gb/contracts';
import { ChannelEntity, type Database, type RecordPlanRow, type RecordSegmentRow } from '@gb/persistence';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { DATABASE } from '../database/database.providers';
import { DevicesService } from '../devices/devices.service';
import { EventBus } from '../events/event-bus';
import { GatewayError } from '../common/gateway-error';
import { StreamsService } from '../streams/streams.service';
import { ChannelRecorder, type RecorderStatus } from './channel-recorder';
import { EventWindows, mergeRanges, type TimeRange } from './event-windows';
import { wantsRecording, type RecordPlanBody } from './record-plan';
import { selectForDeletion } from './retention';
import type { RecordedSegment } from './ts-segment-recorder';

/** How often plans are checked against the clock and ownership (schedule edges, a device that came or went). */
export const RECORD_TICK_MS = 2_000;
/** How often plans are read again from the database (another node's edits). */
export const RECORD_PLAN_RELOAD_MS = 30_000;
/** How often retention and quota are applied (also after each finished segment). */
export const RECORD_SWEEP_MS = 60_000;
/** Segments deleted per sweep round (the sweep repeats until nothing more is due). */
export const RECORD_SWEEP_BATCH = 500;
/** Unfinished segments repaired per start (left by a crash). */
export const RECORD_MAX_ORPHANS = 10_000;
/**
 * An unfinished segment whose file is not on this node's disk leaves the index only when it started longer ago than
 * this: before that it may be another node's segment being written (several nodes, each on its own disk).
 */
export const RECORD_ORPHAN_GRACE_MS = 3_600_000;
/** Segment length of events plans (ms), at most: short pieces keep the pre-event seconds and drop the rest. */
export const RECORD_EVENT_SEGMENT_MS = 10_000;

interface Running {
  recorder: ChannelRecorder;
  plan: RecordPlanRow;
}

/**
 * Record plans (issue 12 item 2, docs/decisions/platform-recording.md): for each plan of a device this node owns,
 * a ChannelRecorder runs while the plan wants it (always, inside the weekly schedule, or always for events plans,
 * which keep only the segments overlapping [event − pre, event + post]); segments are indexed in the database as
 * they open and finish; retention and the quota delete the oldest. Unfinished segments left by a crash are finished
 * at start from their file (size, modification time).
 */
@Injectable()
export class RecordingService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly log = new Logger('recording');
  readonly root: string;
  private plans = new Map<string, RecordPlanRow>();
  private readonly running = new Map<string, Running>();
  private readonly windows = new Map<string, EventWindows>();
  /** Finished segments of events plans not yet kept or dropped. */
  private readonly pending = new Map<string, RecordSegmentRow[]>();
  /** Segment rows by path, for the segments being written (the index row is added on open, finished on finish). */
  private readonly openRows = new Map<string, { row: RecordSegmentRow; added: Promise<unknown> }>();
  private readonly timers: NodeJS.Timeout[] = [];
  /** Index writes in flight (shutdown waits for them: the database closes after this service). */
  private readonly writes = new Set<Promise<unknown>>();
  private sweeping: Promise<void> | null = null;
  private sweepAgain = false;
  private unsubscribe?: () => void;
  private closed = false;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    @Inject(DATABASE) private readonly db: Database,
    @Inject(StreamsService) private readonly streams: StreamsService,
    @Inject(DevicesService) private readonly devices: DevicesService,
    @Inject(EventBus) private readonly events: EventBus,
  ) {
    this.root = resolve(cfg.RECORD_DIR ?? join(cfg.DATA_DIR, 'recordings'));
  }

  async onModuleInit(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await this.repairOrphans();
    await this.reloadPlans();
    this.unsubscribe = this.events.subscribe((e) => {
      if (e.type === 'device.alarm') this.onEvent('alarm', e.data.deviceId, e.data.channelId);
      else if (e.type === 'alert.raised') this.onEvent('congestion', e.data.deviceId, e.data.channelId);
    });
    const every = (ms: number, fn: () => unknown) => {
      const t = setInterval(() => void Promise.resolve(fn()).catch((err: Error) => this.log.warn(`recording: ${err.message}`)), ms);
      t.unref();
      this.timers.push(t);
    };
    every(RECORD_TICK_MS, () => this.tick());
    every(RECORD_PLAN_RELOAD_MS, () => this.reloadPlans());
    every(RECORD_SWEEP_MS, () => this.sweep());
    void this.tick();
    void this.sweep();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.unsubscribe?.();
    await Promise.all([...this.running.values()].map((r) => r.recorder.stop()));
    this.running.clear();
    await Promise.all([...this.writes]);
    await this.sweeping;
  }

  // ------------------------------------------------------------------ plans

  async getPlan(channelId: string): Promise<RecordPlanDto> {
    const p = this.plans.get(channelId) ?? (await this.db.recordings.getPlan(channelId));
    if (!p) throw new GatewayError('NOT_FOUND', `channel ${channelId} has no record plan`);
    return this.planDto(p);
  }

  async listPlans(): Promise<RecordPlanDto[]> {
    return [...this.plans.values()].map((p) => this.planDto(p));
  }

  async putPlan(channelId: string, body: RecordPlanBody): Promise<RecordPlanDto> {
    const deviceId = await this.deviceOf(channelId, body.deviceId);
    const row: RecordPlanRow = {
      channelId, deviceId, mode: body.mode, enabled: body.enabled, schedule: body.schedule, onAlarm: body.onAlarm, onCongestion: body.onCongestion,
      preSeconds: body.preSeconds, postSeconds: body.postSeconds, updatedAt: new Date(),
    };
    const saved = await this.db.recordings.putPlan(row);
    this.plans.set(channelId, saved);
    this.windows.delete(channelId);
    await this.restartIfChanged(saved);
    void this.tick();
    return this.planDto(saved);
  }

  async deletePlan(channelId: string): Promise<void> {
    if (!(await this.db.recordings.deletePlan(channelId))) throw new GatewayError('NOT_FOUND', `channel ${channelId} has no record plan`);
    this.plans.delete(channelId);
    await this.stopRecorder(channelId);
  }

  private async deviceOf(channelId: string, hint?: string): Promise<string> {
    const row = await this.db.dataSource.getRepository(ChannelEntity).findOne({ where: hint ? { channelId, deviceId: hint } : { channelId } });
    if (row) return row.deviceId;
    const proxied = await this.streams.virtualDeviceOf(channelId, hint); // a stream proxy's channel (no catalog row)
    if (proxied) return proxied;
    const existing = this.plans.get(channelId);
    if (existing && (!hint || hint === existing.deviceId)) return existing.deviceId;
    throw new GatewayError('CHANNEL_NOT_FOUND', `no channel ${channelId}${hint ? ` on device ${hint}` : ''} in any catalog`);
  }

  private async reloadPlans(): Promise<void> {
    const rows = await this.db.recordings.listPlans();
    this.plans = new Map(rows.map((p) => [p.channelId, p]));
    for (const p of rows) await this.restartIfChanged(p);
    for (const id of [...this.running.keys()]) if (!this.plans.has(id)) await this.stopRecorder(id);
  }

  /** A plan whose device or mode changed restarts its recorder (segment length differs between modes). */
  private async restartIfChanged(p: RecordPlanRow): Promise<void> {
    const r = this.running.get(p.channelId);
    if (!r) return;
    if (r.plan.deviceId !== p.deviceId || (r.plan.mode === 'events') !== (p.mode === 'events')) await this.stopRecorder(p.channelId);
    else r.plan = p;
  }

  private owns(deviceId: string): boolean {
    return this.devices.get(deviceId) !== undefined || this.streams.virtualSources.some((v) => v.owns(deviceId));
  }

  /** Starts and stops recorders as plans, the clock and ownership say; decides pending event segments. */
  tick(now = Date.now()): Promise<void> {
    if (this.closed) return Promise.resolve();
    for (const p of this.plans.values()) {
      const want = wantsRecording(p, new Date(now)) && this.owns(p.deviceId);
      const r = this.running.get(p.channelId);
      if (want && !r) {
        if (this.running.size >= this.cfg.RECORD_MAX_CHANNELS) continue;
        this.startRecorder(p);
      } else if (!want && r) {
        void this.stopRecorder(p.channelId);
      }
    }
    return this.decidePending(now).catch((e: Error) => this.log.warn(`recording: deciding event segments failed: ${e.message}`));
  }

  private startRecorder(p: RecordPlanRow): void {
    const segmentMs = p.mode === 'events' ? Math.min(RECORD_EVENT_SEGMENT_MS, this.cfg.RECORD_SEGMENT_S * 1000) : this.cfg.RECORD_SEGMENT_S * 1000;
    const recorder = new ChannelRecorder(p.deviceId, p.channelId, {
      root: this.root,
      segmentMs,
      openStream: (deviceId, channelId) => this.streams.open(deviceId, channelId, { kind: 'live', holder: true }),
      onOpened: (deviceId, s) => this.onSegmentOpened(p.channelId, deviceId, s),
      onFinished: (_deviceId, s) => this.onSegmentFinished(p.channelId, s),
      log: (level, m) => this.log[level](m),
    });
    this.running.set(p.channelId, { recorder, plan: p });
    this.log.log(`recording ${p.channelId} (${p.mode}) to ${this.root}`);
  }

  private async stopRecorder(channelId: string): Promise<void> {
    const r = this.running.get(channelId);
    if (!r) return;
    this.running.delete(channelId);
    await r.recorder.stop();
  }

  // ------------------------------------------------------------------ events

  private onEvent(kind: 'alarm' | 'congestion', deviceId: string, channelId: string): void {
    const now = Date.now();
    for (const p of this.plans.values()) {
      if (p.mode !== 'events' || !p.enabled || !(kind === 'alarm' ? p.onAlarm : p.onCongestion)) continue;
      // A device-level alarm (its DeviceID is the device's) covers each of its channels.
      if (p.channelId !== channelId && !(channelId === deviceId && p.deviceId === deviceId)) continue;
      this.windowsOf(p).add(now);
      this.log.log(`recording ${p.channelId}: ${kind} event, keeping ${p.preSeconds} s before and ${p.postSeconds} s after`);
    }
  }

  private windowsOf(p: RecordPlanRow): EventWindows {
    let w = this.windows.get(p.channelId);
    if (!w) this.windows.set(p.channelId, (w = new EventWindows(p.preSeconds * 1000, p.postSeconds * 1000)));
    return w;
  }

  /** Events plans: finished segments overlapping an event window stay; those no event can reach any more go. */
  private async decidePending(now: number): Promise<void> {
    for (const [channelId, segs] of this.pending) {
      const p = this.plans.get(channelId);
      if (!p || p.mode !== 'events') {
        this.pending.delete(channelId);
        continue;
      }
      const w = this.windowsOf(p);
      const drop: RecordSegmentRow[] = [];
      const keep = segs.filter((s) => {
        const r = { start: s.startAt.getTime(), end: s.endAt!.getTime() };
        if (w.keeps(r)) return false;
        if (w.drops(r, now)) {
          drop.push(s);
          return false;
        }
        return true;
      });
      this.pending.set(channelId, keep);
      if (drop.length) await this.deleteSegments(drop);
      w.prune(now - p.preSeconds * 1000 - RECORD_EVENT_SEGMENT_MS * 2);
    }
  }

  // ------------------------------------------------------------------ index

  private onSegmentOpened(channelId: string, deviceId: string, s: RecordedSegment): void {
    const row: RecordSegmentRow = { id: randomUUID(), channelId, deviceId, path: s.path, startAt: new Date(s.startAt), endAt: null, bytes: 0, codec: s.codec };
    const added = this.db.recordings.addSegment(row).catch((e: Error) => this.log.warn(`recording ${channelId}: indexing ${s.path} failed: ${e.message}`));
    this.openRows.set(s.path, { row, added });
    this.track(added);
  }

  private onSegmentFinished(channelId: string, s: RecordedSegment): void {
    const open = this.openRows.get(s.path);
    if (!open) return;
    this.openRows.delete(s.path);
    const { row } = open;
    row.endAt = new Date(s.endAt ?? s.startAt);
    row.bytes = s.bytes;
    this.track(
      open.added
        .then(() => this.db.recordings.finishSegment(row.id, row.endAt!, row.bytes))
        .then(() => {
          if (this.plans.get(channelId)?.mode === 'events') this.pending.set(channelId, [...(this.pending.get(channelId) ?? []), row]);
          if (!this.closed) void this.sweep();
        })
        .catch((e: Error) => this.log.warn(`recording ${channelId}: finishing ${s.path} in the index failed: ${e.message}`)),
    );
  }

  private track(p: Promise<unknown>): void {
    this.writes.add(p);
    void p.finally(() => this.writes.delete(p));
  }

  /**
   * Segments a crash left without an end: finished from the file (its size; its modification time, the last flush,
   * as the end), or removed from the index when the file is gone (and the segment older than RECORD_ORPHAN_GRACE_MS).
   */
  async repairOrphans(): Promise<number> {
    const rows = await this.db.recordings.unfinishedSegments(RECORD_MAX_ORPHANS);
    let n = 0;
    for (const r of rows) {
      if (this.openRows.has(r.path)) continue;
      try {
        const st = await stat(this.fileOf(r.path));
        await this.db.recordings.finishSegment(r.id, new Date(Math.max(r.startAt.getTime() + 1, st.mtimeMs)), st.size);
        n++;
      } catch {
        if (Date.now() - r.startAt.getTime() > RECORD_ORPHAN_GRACE_MS) await this.db.recordings.deleteSegments([r.id]);
      }
    }
    if (n) this.log.log(`recording: ${n} segment(s) left unfinished by the last run indexed up to their last write`);
    return n;
  }

  /** The absolute path of an indexed segment; refuses a path that would leave RECORD_DIR. */
  fileOf(relative: string): string {
    const full = resolve(this.root, relative);
    if (isAbsolute(relative) || !full.startsWith(this.root + sep)) throw new GatewayError('NOT_FOUND', 'no such recording');
    return full;
  }

  // ------------------------------------------------------------------ retention

  /** Retention and quota, oldest first; repeats while a round deleted a full batch. Runs one at a time. */
  sweep(now = Date.now()): Promise<void> {
    if (this.sweeping) {
      this.sweepAgain = true;
      return this.sweeping;
    }
    this.sweeping = (async () => {
      try {
        do {
          this.sweepAgain = false;
          const open = new Set(this.openRows.keys());
          const oldest = (await this.db.recordings.oldestSegments(RECORD_SWEEP_BATCH)).filter((s) => s.endAt !== null && !open.has(s.path));
          const ids = selectForDeletion({
            oldest: oldest.map((s) => ({ id: s.id, startAt: s.startAt.getTime(), bytes: s.bytes })),
            totalBytes: await this.db.recordings.totalBytes(), now,
            retentionDays: this.cfg.RECORD_RETENTION_DAYS, quotaBytes: this.cfg.RECORD_QUOTA_BYTES,
          });
          if (ids.length === 0) break;
          const chosen = new Set(ids);
          await this.deleteSegments(oldest.filter((s) => chosen.has(s.id)));
          if (ids.length >= RECORD_SWEEP_BATCH) this.sweepAgain = true;
        } while (this.sweepAgain && !this.closed);
      } catch (e) {
        this.log.warn(`recording: sweep failed: ${(e as Error).message}`);
      } finally {
        this.sweeping = null;
      }
    })();
    return this.sweeping;
  }

  private async deleteSegments(rows: readonly RecordSegmentRow[]): Promise<void> {
    for (const r of rows) await unlink(this.fileOf(r.path)).catch(() => undefined);
    await this.db.recordings.deleteSegments(rows.map((r) => r.id));
    for (const [c, segs] of this.pending) this.pending.set(c, segs.filter((s) => !rows.includes(s)));
  }

  // ------------------------------------------------------------------ reads

  async segment(id: string): Promise<RecordSegmentRow | undefined> {
    return this.db.recordings.getSegment(id);
  }

  async segments(channelId: string, from: Date, to: Date): Promise<RecordSegmentRow[]> {
    return this.db.recordings.listSegments(channelId, from, to);
  }

  /** Segments and the merged ranges they cover (adjacent segments within 1 s join). */
  async list(channelId: string, fromS: number, toS: number): Promise<{ segments: RecordingSegmentDto[]; ranges: { start: string; end: string }[] }> {
    const rows = await this.segments(channelId, new Date(fromS * 1000), new Date(toS * 1000));
    const now = Date.now();
    const ranges = mergeRanges(rows.map((r): TimeRange => ({ start: r.startAt.getTime(), end: (r.endAt ?? new Date(now)).getTime() })), 1000);
    return {
      segments: rows.map((r) => ({ id: r.id, start: r.startAt.toISOString(), end: r.endAt?.toISOString() ?? null, bytes: r.bytes, codec: r.codec })),
      ranges: ranges.map((r) => ({ start: new Date(r.start).toISOString(), end: new Date(r.end).toISOString() })),
    };
  }

  private planDto(p: RecordPlanRow): RecordPlanDto {
    const st: RecorderStatus | undefined = this.running.get(p.channelId)?.recorder.status();
    const state: RecordPlanDto['status']['state'] = !st || st.state === 'stopped' ? 'waiting' : st.state;
    const cause = st ? st.cause : !p.enabled ? 'the plan is disabled' : !this.owns(p.deviceId) ? 'the device is offline or another node\'s' : p.mode === 'schedule' ? 'outside the schedule' : null;
    return {
      channelId: p.channelId, deviceId: p.deviceId, mode: p.mode, enabled: p.enabled, schedule: p.schedule, onAlarm: p.onAlarm, onCongestion: p.onCongestion,
      preSeconds: p.preSeconds, postSeconds: p.postSeconds, updatedAt: p.updatedAt.toISOString(),
      status: {
        state, cause: state === 'recording' ? null : cause,
        retryAt: st?.retryAt ? new Date(st.retryAt).toISOString() : null,
        segmentStartedAt: st?.segment ? new Date(st.segment.startAt).toISOString() : null,
      },
    };
  }
}
