/**
 * Shapes shared by the vision worker, the gateway and the dashboard: regions of interest, congestion
 * scores and alerts. Formula and sources: docs/congestion.md.
 */

/** Five levels, lowest first. Road bands after GA/T 115-2020 / GB/T 33171-2016, crowd bands after Fruin. */
export type CongestionLevel = 'free' | 'light' | 'moderate' | 'heavy' | 'severe';
export const CONGESTION_LEVELS: readonly CongestionLevel[] = ['free', 'light', 'moderate', 'heavy', 'severe'];

/**
 * Lower index edge (0–100) of each level above 'free', in CONGESTION_LEVELS order: five equal bands,
 * free < 20 ≤ light < 40 ≤ moderate < 60 ≤ heavy < 80 ≤ severe. The index is built so that each edge matches a
 * published threshold where one exists (speed ratio, Fruin density); see docs/congestion.md.
 */
export const CONGESTION_BAND_EDGES: readonly number[] = [20, 40, 60, 80];

/** The level of a congestion index (the one index → level rule of worker, gateway and dashboard). Below 0 or NaN reads 'free'. */
export function congestionLevelOf(index: number): CongestionLevel {
  let band = 0;
  while (band < CONGESTION_BAND_EDGES.length && index >= CONGESTION_BAND_EDGES[band]!) band++;
  return CONGESTION_LEVELS[band]!;
}

/** A point in normalised frame coordinates: x and y in 0–1, origin at the top-left. */
export type NormalisedPoint = [number, number];

/** Optional real-world scale of a ROI; without it speeds stay in px/s and no density per m² is given. */
export interface RoiCalibration {
  /** Ground distance of one pixel of the (decoded) frame, metres. */
  metresPerPixel?: number;
  /** Known length of the road inside the ROI, metres, measured along `roadAxis` (default: the ROI's longer image side). */
  roadLengthMetres?: number;
  /** Posted speed limit, km/h: speed bands are fractions of it. */
  speedLimitKmh?: number;
  /** Walkable area of the ROI, m²: enables persons per m² (Fruin). */
  areaSquareMetres?: number;
}

export interface Roi {
  id: string;
  /** Closed polygon, at least 3 points, normalised 0–1. */
  polygon: NormalisedPoint[];
  calibration?: RoiCalibration;
}

/** Which evidence set the index: measured speed, track motion (stationary share), or density only (stills). */
export type CongestionBasis = 'speed' | 'motion' | 'density';

export interface CongestionScore {
  roi: string;
  /** Seconds from the start of the source. */
  t: number;
  /** 0 (empty road) – 100 (standstill). */
  index: number;
  level: CongestionLevel;
  vehicles: number;
  persons: number;
  /** Share (0–1) of the ROI covered by the union of vehicle boxes. */
  occupancy: number;
  /** Median centre distance to the nearest other vehicle, in box sizes; null below 2 vehicles. */
  spacing: number | null;
  /** Share (0–1) of vehicle tracks old enough to judge that are stationary; null when unknown (still image, new tracks). */
  stationaryShare: number | null;
  /** Mean vehicle speed in `speedUnit`; null when unknown. */
  meanSpeed: number | null;
  speedUnit: 'px/s' | 'km/h' | null;
  /** Persons per m² when the ROI has an area; null otherwise. */
  personsPerM2: number | null;
  /** Crowd level after Fruin when personsPerM2 is known. */
  crowdLevel: CongestionLevel | null;
  basis: CongestionBasis;
}

/** Raised by the worker when a ROI stays at or above a level. */
export interface CongestionAlert {
  channelId: string;
  roi: string;
  level: CongestionLevel;
  index: number;
  /** ISO-8601 time the level was first reached. */
  since: string;
  at: string;
}
export type Alert = CongestionAlert;

/* ------------------------------------------------------------------------------------------------
 * Live scoring: the gateway <-> vision worker protocol (JSON messages over IPC or NATS) and the API
 * shapes of GET /api/congestion, /history and /api/alerts. docs/congestion.md, "Live scoring".
 * ---------------------------------------------------------------------------------------------- */

/** A detection box of a scored frame (drawn on snapshots, sent with scores), normalised 0–1. */
export interface SnapshotBox {
  label: string;
  score: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /**
   * Set when the box is left out of counts, occupancy and the stopped share (drawn greyed): a learned scene
   * fixture (sign, gantry, logo, parked trailer), inside the camera's on-screen text (OSD), or inside a
   * hand-drawn exclusion zone. Absent: counted.
   */
  ignored?: IgnoredReason;
}

/** Why a detection is not counted (docs/congestion.md, "Fixtures, masks"). */
export type IgnoredReason = 'fixture' | 'osd' | 'exclusion';
export const IGNORED_REASONS: readonly IgnoredReason[] = ['fixture', 'osd', 'exclusion'];

/** A hand-drawn area of a channel whose detections never count (a billboard, a car park beside the road). */
export interface ExclusionZone {
  id: string;
  /** Closed polygon, at least 3 points, normalised 0–1; a detection whose box centre lies inside is dropped. */
  polygon: NormalisedPoint[];
}

/**
 * A channel's ROIs with its exclusion zones: the answer of GET /api/channels/:c/rois?include=exclusions and of a PUT
 * whose body carries `exclusions` (a plain GET and any other PUT keep answering the bare ROI array).
 */
export interface ChannelRoisDto {
  rois: Roi[];
  exclusions: ExclusionZone[];
}

/** A rectangle in normalised 0–1 frame coordinates. */
export interface NormalisedRect {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/**
 * How the worker runs the detector on a channel, chosen per channel from what it measured (frame contrast,
 * detection density and size); docs/congestion.md, "Hazy, dark and distant cameras".
 */
export interface DetectorChoice {
  /** 1 = one whole-frame pass; 2 or 3 = also an n×n grid of tiles over `region`. */
  tiles: 1 | 2 | 3;
  /** Where the tiles lie: the whole frame, or the bounding box of the ROIs. */
  region: 'frame' | 'rois';
  /** Contrast normalisation before the detector. */
  enhance: 'none' | 'clahe';
  /** Detector passes per scored frame (the inference cost: 1 for a single pass). */
  passes: number;
  /** Why, in words (the measured figures that decided). */
  reason: string;
  /** Measured RMS contrast of the frame's luma (0–1), null before the first frame. */
  contrast: number | null;
  /** Measured median vehicle box size (√area) as a share of the frame width, null with no vehicle yet. */
  vehicleSize: number | null;
}

/** What the worker has learned about a channel's scene, sent with its scores. */
export interface SceneState {
  /** Learned scene fixtures (normalised boxes), left out of scoring. */
  fixtures: NormalisedRect[];
  /** Areas found to hold on-screen text or logos (OSD), masked out of detection and scoring. */
  osd: NormalisedRect[];
  detector: DetectorChoice;
}

/** Gateway -> worker: start (or restart with new ROIs / source) scoring one channel. */
export interface VisionWatchMessage {
  type: 'watch';
  channelId: string;
  deviceId: string;
  /** Absolute FLV or HLS URL carrying its signed token, or any input ffmpeg reads (tests: a file). */
  sourceUrl: string;
  rois: Roi[];
  /** Hand-drawn areas whose detections never count (absent: none). */
  exclusions?: ExclusionZone[];
  /** Frames scored per second. */
  fps: number;
  /**
   * Gateway node that owns the channel (VISION_NODE_ID_PATTERN). The worker answers on that node's subjects and
   * heeds unwatches only from it; a later watch from another node moves the channel there. Absent: the shared
   * subjects (embedded mode, gateways before nodes).
   */
  node?: string;
}
export interface VisionUnwatchMessage {
  type: 'unwatch';
  channelId: string;
  /** The sending gateway node: the worker drops the channel only when it belongs to that node (or to none). */
  node?: string;
}
/** Gateway -> worker: send the channel's last frame as a JPEG with its boxes and ROIs drawn. */
export interface VisionSnapshotRequest {
  type: 'snapshot-request';
  channelId: string;
  requestId: string;
  /** The asking gateway node; the snapshot is published on its subjects. */
  node?: string;
}
/**
 * Gateway -> worker: the camera moved (a PTZ move or a preset call was sent): forget what was learned of the scene
 * (fixtures, OSD areas, the detector choice).
 */
export interface VisionSceneResetMessage {
  type: 'scene-reset';
  channelId: string;
  node?: string;
}
export type GatewayToWorkerMessage = VisionWatchMessage | VisionUnwatchMessage | VisionSnapshotRequest | VisionSceneResetMessage;

export interface VisionScoreMessage {
  type: 'score';
  channelId: string;
  /** Wall-clock time of the frame, ms since the epoch. */
  t: number;
  scores: CongestionScore[];
  /**
   * The scored frame's detection boxes, highest score first, at most MAX_SCORE_BOXES (the gateway truncates beyond
   * it). Absent from workers before boxes were sent.
   */
  boxes?: SnapshotBox[];
  /** Fixtures, OSD areas and the detector choice of the channel (absent from older workers). */
  scene?: SceneState;
  /** The channel's gateway node; the NATS worker transport publishes on that node's subjects. */
  node?: string;
}
export interface VisionSnapshotMessage {
  type: 'snapshot';
  channelId: string;
  requestId: string;
  /** null when the channel has no frame yet. */
  jpegBase64: string | null;
  error?: string;
  /** The node that asked for the snapshot. */
  node?: string;
}
export type VisionChannelState = 'starting' | 'running' | 'error' | 'stopped';
export interface VisionStatusMessage {
  type: 'status';
  channelId: string;
  state: VisionChannelState;
  /** `CODE: message` when state is 'error'. */
  error?: string;
  workerId?: string;
  /** The channel's gateway node. */
  node?: string;
}
export interface VisionHeartbeatMessage {
  type: 'heartbeat';
  workerId: string;
  channels: string[];
  /** Model load problem (e.g. VISION_MODEL_UNREADABLE: …), null when the model is loaded or not yet needed. */
  modelError: string | null;
  /** Absent: the shared heartbeat, listing the channels without a node. Set: only that node's channels. */
  node?: string;
}
/** Most detection boxes one score message carries (a jammed 4-lane road at 640 px gives ~60). */
export const MAX_SCORE_BOXES = 200;

export type WorkerToGatewayMessage = VisionScoreMessage | VisionSnapshotMessage | VisionStatusMessage | VisionHeartbeatMessage;

/** GET /api/congestion: the latest score of each watched channel and ROI. */
export interface ChannelCongestionDto {
  channelId: string;
  deviceId: string;
  state: VisionChannelState;
  error: string | null;
  /** Worker scoring the channel ('embedded' in embedded mode), null while unassigned. */
  workerId: string | null;
  /** ISO time of the last score, null before the first. */
  updatedAt: string | null;
  scores: CongestionScore[];
  /** Detection boxes of the last scored frame (normalised 0–1, at most MAX_SCORE_BOXES); empty before the first. */
  boxes: SnapshotBox[];
  /** What the worker learned of the scene (fixtures, OSD areas) and how it runs the detector; null before the first score. */
  scene: SceneState | null;
  /**
   * ROIs whose queue is forming now (onset warning, docs/congestion.md "Onset warning"): since when (ISO) and the
   * index slope at the warning; empty when none.
   */
  forming: CongestionFormingDto[];
  /** The channel's hand-drawn exclusion zones (PUT /api/channels/:c/rois `{exclusions}`); empty when none. */
  exclusions: ExclusionZone[];
}

/** A ROI whose queue is forming (an onset warning is out for it). */
export interface CongestionFormingDto {
  roi: string;
  /** ISO time of the warning (the score's time). */
  since: string;
  /** Least-squares slope of the index over the onset window, index points per minute. */
  slopePerMin: number;
}

/** One bucket of GET /api/congestion/:channelId/history. */
export interface CongestionHistoryPoint {
  roi: string;
  /** ISO start of the bucket. */
  t: string;
  /** Mean index over the bucket's samples. */
  index: number;
  maxIndex: number;
  level: CongestionLevel;
  vehicles: number;
  samples: number;
}

export type AlertState = 'active' | 'cleared';

/** GET /api/alerts item. */
export interface AlertDto {
  id: string;
  channelId: string;
  deviceId: string;
  roi: string;
  level: CongestionLevel;
  /** Highest index seen while active. */
  peakIndex: number;
  state: AlertState;
  raisedAt: string;
  clearedAt: string | null;
  ackedAt: string | null;
  ackedBy: string | null;
  /** The operator's comment on acknowledging, null when none. */
  ackComment: string | null;
  /** `/api/alerts/<id>/snapshot` when a snapshot was stored. */
  snapshotUrl: string | null;
  /** NODE_ID of the gateway node that raised it (and keeps its snapshot); null for alerts from before nodes existed. */
  node: string | null;
  /** ISO time of the onset warning (congestion.forming) that preceded it, null when none did. */
  warnedAt: string | null;
  /** Lead time of that warning: raisedAt − warnedAt in seconds (raisedAt is when the level was first reached); null without one. */
  leadS: number | null;
}

/** Queue group of the distributed workers: each watch assignment reaches exactly one of them. */
export const VISION_QUEUE_GROUP = 'vision-workers';

/**
 * A gateway node ID as it travels in vision messages and NATS subjects: one subject token (no `.`, `*`, `>`
 * or spaces), at most 64 characters.
 */
export const VISION_NODE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * NATS subjects of the distributed mode under a prefix (default `gb`). The worker keeps an identical
 * copy (apps/vision-worker/src/live/vision-subjects.ts); a spec checks they agree.
 *
 * Several gateway nodes share one pool of workers: watch (queue group) and the per-worker control subject are
 * shared; what concerns one node's channels travels under `<prefix>.vision.node.<node>.…`, so a node hears only
 * its own channels and its unwatches reach only them. The subjects without a node serve channels watched
 * without one (gateways before nodes).
 */
export function visionSubjects(prefix: string) {
  return {
    watch: `${prefix}.vision.watch`,
    unwatch: `${prefix}.vision.unwatch`,
    control: (workerId: string) => `${prefix}.vision.control.${workerId}`,
    heartbeat: (workerId: string) => `${prefix}.vision.heartbeat.${workerId}`,
    score: (channelId: string) => `${prefix}.vision.score.${channelId}`,
    status: (channelId: string) => `${prefix}.vision.status.${channelId}`,
    snapshot: (channelId: string) => `${prefix}.vision.snapshot.${channelId}`,
    /** One gateway node's subjects (`node` matches VISION_NODE_ID_PATTERN, or `*` to subscribe to all nodes). */
    node: (node: string) => ({
      unwatch: `${prefix}.vision.node.${node}.unwatch`,
      heartbeat: (workerId: string) => `${prefix}.vision.node.${node}.heartbeat.${workerId}`,
      score: (channelId: string) => `${prefix}.vision.node.${node}.score.${channelId}`,
      status: (channelId: string) => `${prefix}.vision.node.${node}.status.${channelId}`,
      snapshot: (channelId: string) => `${prefix}.vision.node.${node}.snapshot.${channelId}`,
    }),
  };
}
