// Time-sharing profiles as the core evaluates them: already parsed and validated (profiles/loader.ts
// turns YAML into this shape and names the file, line and field of anything wrong).

/** How much of a node batch may borrow, and how much online keeps free above its predicted usage. */
export interface Level {
  /** Fraction of a node's allocatable that batch may hold at most, in [0, 1]. */
  batchShare: number;
  /** Fraction of a node's allocatable kept free above predicted online usage, in [0, 1]. */
  onlineHeadroom: number;
  /**
   * A peer's batch-capacity formula (the simulator's baselines, simulator/peers/), or the forecast
   * mode's default level (forecastModeProfile). Absent for the levels of Tidal's profiles, whose
   * capacity is exactly the formula in capacity.ts.
   */
  model?: CapacityModel;
}

/**
 * Generalisations of the capacity formula that the peers need (capacity.ts applies them):
 *   headroom       per-resource safety margin replacing onlineHeadroom (Koordinator: CPU 1 - 60%,
 *                  memory 1 - 65%, from its reclaim thresholds)
 *   unusedFraction batch may hold at most this fraction of what online leaves unused,
 *                  f x (A - online) (Volcano's oversubscription: 60%)
 *   zeroWhenStale  without fresh usage the node offers batch nothing (Koordinator resets batch-cpu to
 *                  0 on stale metrics) instead of counting online at its requests
 */
export interface CapacityModel {
  headroom?: { cpu: number; memory: number };
  unusedFraction?: number;
  zeroWhenStale?: boolean;
}

export interface LevelSpec extends Level {
  /** When entering this level lowers batch capacity, batch must be down to it this long before it starts. */
  drainLeadMs: number;
  /** ...and the lowering is spread linearly over this span before that point, so that drains are gradual. */
  rampMs: number;
}

/** ISO weekday numbers as luxon uses them: 1 = Monday ... 7 = Sunday. */
export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

export interface Recurrence {
  /** Days on which an occurrence STARTS (an occurrence that crosses midnight ends the next day). */
  days: Weekday[];
  /** Local start and end, minutes after midnight in the profile's time zone. end <= start crosses midnight. */
  startMinute: number;
  endMinute: number;
}

/**
 * The online demand a window expects (a flash sale, a launch): what history cannot know. The
 * forecast (forecast/events.ts) multiplies the online tenants' part of a node's CPU by `factor` and
 * of its memory by `memoryFactor` while the window is in force, each rising linearly from 1 over
 * `rampMs` after it starts.
 */
export interface OnlineDemand {
  /** Multiplier of CPU, > 0 (5 for "5x"; below 1 for an expected lull). */
  factor: number;
  /**
   * Multiplier of memory, > 0: the profile's `memory`, else `factor`. Traffic shows in CPU; a
   * service's memory per pod usually moves far less (its heap and caches are sized ahead), and a
   * scale-out's new pods are tenants the forecast counts anyway, so an operator states it apart.
   */
  memoryFactor: number;
  /** What it multiplies: the tenants' learned curves, or their requests. */
  of: 'forecast' | 'requests';
  rampMs: number;
}

export interface WindowSpec extends LevelSpec {
  name: string;
  /** The online demand expected while the window is in force (forecast events). */
  onlineDemand?: OnlineDemand;
  /**
   * The window states only an online demand, no level: it takes no part in the timetable of levels
   * (timeline.ts), so it cannot override another window's batchShare with the default's.
   */
  demandOnly?: boolean;
  /** Explicit precedence; higher wins over lower. Ties: absolute beats recurring, then later in the file wins. */
  priority: number;
  recurrence?: Recurrence;
  /** Absolute windows (a peak event): epoch ms, end exclusive. */
  start?: number;
  end?: number;
  /**
   * An absolute window's local times as written that do not exist in the zone (a daylight-saving
   * gap), with the instant the zone rules moved each to: the loader records them for the warnings.
   */
  gapTimes?: Array<{ field: 'start' | 'end'; written: string; at: number }>;
  /** Position in the file; later wins ties. */
  index: number;
  /** Where it was declared, for messages. */
  line?: number;
}

export interface Profile {
  name: string;
  /** IANA time zone the recurring windows and local absolute times are written in. */
  timeZone: string;
  /** The level outside every window. */
  default: LevelSpec;
  windows: WindowSpec[];
  /** File it came from, for messages. */
  source?: string;
}

/** A profile with one level at all times: the peers' baselines, kube-default and tests. */
export function constantProfile(level: Level, name = 'constant', timeZone = 'UTC'): Profile {
  return {
    name,
    timeZone,
    default: { ...level, drainLeadMs: 0, rampMs: 0 },
    windows: [],
  };
}

export function isAbsolute(w: WindowSpec): boolean {
  return w.recurrence === undefined;
}

/** Precedence between two windows active at the same instant: positive when a wins. */
export function comparePrecedence(a: WindowSpec, b: WindowSpec): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  const aa = isAbsolute(a) ? 1 : 0;
  const ba = isAbsolute(b) ? 1 : 0;
  if (aa !== ba) return aa - ba;
  return a.index - b.index;
}

/**
 * A profile as the forecast mode of time-sharing reads it (the `time-sharing` policy): what history
 * can know (the daily and weekly tide) comes from the forecast, so the profile's recurring windows
 * and its default level's caps are the timetable's and are dropped. What history cannot know stays:
 * a window that states an online demand is an event the forecast carries (forecast/events.ts; its
 * level, if any, is the timetable's and is not applied: the window becomes demand-only), and a dated
 * window without one keeps its batchShare and onlineHeadroom as the operator's caps and floor.
 * Outside them batch is capped by the forecast alone (the ForecastCapacity filter): the default level
 * is batchShare 1 and onlineHeadroom 0 with CPU headroom -1 (FORECAST_DEFAULT_MODEL), so that the
 * request-based caps (BatchCapacityFit, the peak drain) hold batch's CPU requests to the node's
 * allocatable and its memory requests to what online leaves, and no more: batch CPU is compressible
 * and may be committed below its requests (ForecastCapacity batchCpu: usage), which a cap of
 * A - online usage on its requests would undo (and the peak drain would evict for). The default's
 * drain lead and ramp are kept. A profile with no windows is valid: the forecast alone.
 */
/** The forecast mode's default level model: min(A x 1, A x (1 + 1) - online) = A for CPU while online <= A; memory as the formula. */
export const FORECAST_DEFAULT_MODEL: CapacityModel = { headroom: { cpu: -1, memory: 0 } };

export function forecastModeProfile(p: Profile): Profile {
  return {
    ...p,
    default: { ...p.default, batchShare: 1, onlineHeadroom: 0, model: FORECAST_DEFAULT_MODEL },
    windows: p.windows
      .filter((w) => isAbsolute(w) || w.onlineDemand !== undefined)
      .map((w) => (w.onlineDemand !== undefined && !w.demandOnly ? { ...w, demandOnly: true } : w)),
  };
}
