/**
 * Shapes shared by the vision worker, the gateway and the dashboard: regions of interest, congestion
 * scores and alerts. Formula and sources: docs/congestion.md.
 */

/** Five levels, lowest first. Road bands after GA/T 115-2020 / GB/T 33171-2016, crowd bands after Fruin. */
export type CongestionLevel = 'free' | 'light' | 'moderate' | 'heavy' | 'severe';
export const CONGESTION_LEVELS: readonly CongestionLevel[] = ['free', 'light', 'moderate', 'heavy', 'severe'];

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
