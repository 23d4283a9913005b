// Tidal's descheduler: cluster state + profile + time -> an ordered eviction plan. Pure; the
// executor (scheduler/descheduler) carries the plan out through the Eviction API, and the simulator
// applies it to its virtual cluster. Two strategies state what each node needs, and one evictor
// (evictor.ts) serves them under every limit:
//   peak-drain  batch holds more than the effective level allows now (strategies/peak-drain.ts)
//   hot-spot    usage, observed or predicted from the curves, stays above a threshold
//               (strategies/hot-spot.ts)
//   forecast-drain  the node's forecast upper band and its committed batch would exceed
//               allocatable x target within the lead, or do now (a node above its band): only the
//               shortfall is evicted (strategies/forecast-drain.ts; needs the engine's forecast book)
// A node with both is served once: a victim helps if it frees something either need is short of,
// and is counted as peak-drain while the drain is unmet. Limits per node, per namespace, per cycle,
// a rate budget across cycles and PodDisruptionBudgets bound every plan, so that a profile change
// never becomes a storm.

import { FORECAST_TARGET } from '../config.ts';
import type { Resources } from '../model.ts';
import type { ClusterState } from '../state.ts';
import type { ProfileTimeline } from '../timeline.ts';
import { DEFAULT_EVICTION_RULES, type EvictionRules } from '../victims.ts';
import { Evictor, type EvictionLimits, type PlannedEviction as Planned } from './evictor.ts';
import type { StatedNeed } from './needs.ts';
import type { ForecastBook } from '../forecast/book.ts';
import { forecastDrainNeeds, type ForecastDrainConfig } from './strategies/forecast-drain.ts';
import { hotSpotNeeds, type HotSpotConfig } from './strategies/hot-spot.ts';
import { peakDrainNeeds, summarizeLevel, type LevelSummary } from './strategies/peak-drain.ts';

export type { EvictionLimits } from './evictor.ts';
export type { HotSpotConfig } from './strategies/hot-spot.ts';
export type { ForecastDrainConfig } from './strategies/forecast-drain.ts';

export type EvictionReason = 'peak-drain' | 'hot-spot' | 'forecast-drain';

export type PlannedEviction = Planned<EvictionReason>;

export interface PlannerConfig {
  rules: EvictionRules;
  limits: EvictionLimits;
  drain: boolean;
  hotSpot: HotSpotConfig | null;
  /** Forecast drain (strategies/forecast-drain.ts); absent or null: off. Needs PlanInput.book. */
  forecast?: ForecastDrainConfig | null;
}

export const DEFAULT_PLANNER: PlannerConfig = {
  rules: DEFAULT_EVICTION_RULES,
  limits: { maxPerNode: 5, maxPerNamespace: 20, maxTotal: 50 },
  drain: true,
  hotSpot: { threshold: { cpu: 0.85, memory: 0.9 }, target: { cpu: 0.75, memory: 0.85 }, consecutive: 3, lookaheadSlots: 2 },
};

/** The forecast mode's planner (TIME_SHARING_FORECAST): the same limits, plus the forecast drain at the filter's target. */
export const FORECAST_PLANNER: PlannerConfig = {
  ...DEFAULT_PLANNER,
  forecast: { target: FORECAST_TARGET, leadSlots: 2 },
};

export interface PlanInput {
  state: ClusterState;
  timeline: ProfileTimeline;
  now: number;
  config: PlannerConfig;
  /** Evictions the rate limiter allows this cycle (whole tokens); Infinity for none. */
  rateBudget: number;
  /** Consecutive hot observations per node before this cycle (carried between cycles by the caller). */
  hotStreaks: ReadonlyMap<string, number>;
  /** Pods already asked to leave (evicted but not yet terminating in the state): they count as gone. */
  inFlight?: ReadonlySet<string>;
  /**
   * Evaluate the profile at this instant instead of `now` (rehearsing a coming window with today's
   * cluster and usage: `tidal deschedule --dry-run --at TIME`).
   */
  levelAt?: number;
  /** The forecast book of the engine that admits batch (forecastBookOf), for the forecast drain. */
  book?: ForecastBook;
}

export interface NodeNeed {
  node: string;
  /** Batch requests over capacity at the current level (peak drain), after in-flight and terminating pods. */
  drainExcess: Resources;
  /** Usage over the hot-spot target, when the node is hot and gated in. */
  hotExcess: Resources;
  /** The forecast shortfall (forecast drain), when the node has one. */
  forecastExcess: Resources;
  /** What is still over after the plan: limits or unevictable pods left it. */
  remaining: Resources;
  planned: number;
}

export interface EvictionPlan {
  now: number;
  evictions: PlannedEviction[];
  nodes: NodeNeed[];
  /** Pods passed over, by reason (not evictable, limit reached, PDB would refuse). */
  skipped: Map<string, number>;
  /** Hot streaks to carry into the next cycle. */
  hotStreaks: Map<string, number>;
  /** The effective level the drain used. */
  level: LevelSummary;
}

export function planEvictions(input: PlanInput): EvictionPlan {
  const { state, now, config } = input;
  const level = input.timeline.at(input.levelAt ?? now);
  const inFlight = input.inFlight ?? new Set<string>();
  const hot = config.hotSpot ? hotSpotNeeds({ state, now, config: config.hotSpot, hotStreaks: input.hotStreaks, inFlight }) : null;
  const drain = config.drain ? peakDrainNeeds({ state, now, level, inFlight }) : [];
  if (config.forecast && !input.book) throw new Error('the planner has a forecast drain but no forecast book was given');
  const fdrain = config.forecast && input.book ? forecastDrainNeeds({ state, now, book: input.book, profile: input.timeline.profile, config: config.forecast, inFlight }) : [];
  const evictor = new Evictor<StatedNeed<EvictionReason>>(state, now, { rules: config.rules, limits: config.limits, rateBudget: input.rateBudget, inFlight });
  // Drain first: on a node with both needs, an eviction counts as drain while the drain is unmet.
  const served = evictor.run([...drain, ...fdrain, ...(hot?.needs ?? [])]);
  const excessOf = (needs: ReadonlyArray<StatedNeed<EvictionReason>>, reason: EvictionReason): Resources => {
    let n: StatedNeed<EvictionReason> | undefined;
    for (const x of needs) if (x.reason === reason) n = x;
    // The strategy's excess object is fresh per plan and never written to again.
    return n ? (n.initial as Resources) : { cpu: 0, memory: 0 };
  };
  return {
    now,
    evictions: evictor.evictions,
    nodes: served.map((s) => ({
      node: s.node.name,
      drainExcess: excessOf(s.needs, 'peak-drain'),
      hotExcess: excessOf(s.needs, 'hot-spot'),
      forecastExcess: excessOf(s.needs, 'forecast-drain'),
      remaining: s.remaining,
      planned: s.planned,
    })),
    skipped: evictor.skipped,
    hotStreaks: hot?.hotStreaks ?? new Map(),
    level: summarizeLevel(level),
  };
}
