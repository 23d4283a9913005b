// The simulator's named policies. Each is a configuration of the one core plus, for the peers, the
// small piece the peer does differently (types.ts); each peer's file documents its formula and defaults.
//   kube-default   requests only, kube-scheduler's default scores (registry.ts KUBE_SCHEDULER_SCORES), no
//                  co-location, no descheduler: an unmodified kube-scheduler. Batch requests count as
//                  fully as online ones.
//   koordinator    Koordinator's batch formula, LoadAware and LowNodeLoad
//   volcano-tdm    Volcano's TDM revocable zones and its node agent (volcano-agent: oversubscription
//                  from all pods' usage, eviction watermarks under a NoSchedule taint)
//   katalyst-tide  "katalyst-tide (node pool)": Katalyst's Tide node pool
//   katalyst-reclaimed  Katalyst's co-location product: reclaimed_cores on sysadvisor's headroom
//   crane          Crane's elastic resource from its (stand-in) predictor
// Each peer lives in simulator/peers/<name>/ (formula.ts with its source citations, policy.ts).
//   time-sharing   Tidal: batch capacity from the forecast, the profile's dated events, forecast drains.
//   time-sharing-timetable  Tidal's timetable mode: the profile's windows, drains ahead of peaks.
// As deployed, Tidal's scores are the extender's prioritize inside kube-scheduler, on the wire (0..10)
// x weight 5 x 10 beside kube-scheduler's default scores (config.ts behindKubeScheduler); so are every
// time-sharing mode's and variant's.
// The peers whose scheduler is kube-scheduler with plugins (koordinator, crane, katalyst-*) run the same
// default scores beside their own (types.ts onKubeScheduler); volcano-tdm keeps its own scores
// (Volcano's scheduler has its own nodeorder plugin, not modelled).
// `static-colocation`, the earlier Koordinator-like baseline, is an alias of `koordinator`.

import { behindKubeScheduler, KUBE_DEFAULT, TIME_SHARING, TIME_SHARING_FORECAST } from '../../scheduler/core/config.ts';
import { DEFAULT_PLANNER, FORECAST_PLANNER } from '../../scheduler/core/descheduling/plan.ts';
import { constantProfile, forecastModeProfile } from '../../scheduler/core/profile.ts';
import { DEFAULT_FILTERS } from '../../scheduler/core/registry.ts';
import { CRANE } from '../peers/crane/policy.ts';
import { KATALYST_RECLAIMED } from '../peers/katalyst-reclaimed/policy.ts';
import { KATALYST_TIDE } from '../peers/katalyst-tide/policy.ts';
import { KOORDINATOR } from '../peers/koordinator/policy.ts';
import type { SimPolicy } from './types.ts';
import { VOLCANO_TDM } from '../peers/volcano-tdm/policy.ts';

export type { ControllerApi, PeerController, SimPolicy } from './types.ts';

export const POLICIES: Readonly<Record<string, SimPolicy>> = {
  'kube-default': {
    name: 'kube-default',
    description: "kube-scheduler as shipped: requests only, its default scores (least allocated, balanced allocation, default topology spread); batch counts like online",
    config: KUBE_DEFAULT,
    planner: null,
    profileFor: () => constantProfile({ batchShare: 1, onlineHeadroom: 0 }, 'none'),
  },
  koordinator: KOORDINATOR,
  'volcano-tdm': VOLCANO_TDM,
  'katalyst-tide': KATALYST_TIDE,
  'katalyst-reclaimed': KATALYST_RECLAIMED,
  crane: CRANE,
  // Tidal: batch capacity follows each node's forecast (ForecastCapacity over the pod's
  // runtime), the profile read in forecast mode (dated windows and online-demand events only), the
  // descheduler draining only the forecast shortfall.
  'time-sharing': {
    name: 'time-sharing',
    description: "Tidal: batch capacity from each node's forecast online band and committed batch over the pod's runtime; the profile's dated events; drains only the forecast shortfall",
    config: behindKubeScheduler({ ...TIME_SHARING_FORECAST, name: 'time-sharing' }),
    planner: FORECAST_PLANNER,
    profileFor: forecastModeProfile,
  },
  // time-sharing without the OnlineShapeRoom score (plugins/online-shape-room.ts), which the preset
  // runs since it was measured by `tidal plan` on the Double 11 week (docs/forecast.md): kept so that
  // the difference stays measured.
  'time-sharing-no-room': {
    name: 'time-sharing-no-room',
    description: 'time-sharing whose online pods do not keep room for the largest online shape (no OnlineShapeRoom)',
    config: behindKubeScheduler({
      ...TIME_SHARING_FORECAST,
      name: 'time-sharing-no-room',
      scoreWeights: { ...TIME_SHARING_FORECAST.scoreWeights, online: withoutKey(TIME_SHARING_FORECAST.scoreWeights.online, 'OnlineShapeRoom') },
    }),
    planner: FORECAST_PLANNER,
    profileFor: forecastModeProfile,
  },
  // time-sharing whose checkpointable batch may cross a coming rise: ForecastCapacity admits it on
  // room over the first 30 minutes of its span (checkpointableSpan), and the ForecastSurvival score
  // (plugins/forecast-survival.ts) steers it to nodes where its room lasts its runtime.
  'time-sharing-checkpoint': {
    name: 'time-sharing-checkpoint',
    description: 'time-sharing whose checkpointable batch needs forecast room over 30 minutes only and prefers nodes where the room lasts its runtime (ForecastSurvival)',
    config: behindKubeScheduler({
      ...TIME_SHARING_FORECAST,
      name: 'time-sharing-checkpoint',
      pluginArgs: { ...TIME_SHARING_FORECAST.pluginArgs, ForecastCapacity: { ...(TIME_SHARING_FORECAST.pluginArgs['ForecastCapacity'] as object), checkpointableSpan: '30m' } },
      scoreWeights: { ...TIME_SHARING_FORECAST.scoreWeights, batch: { ...TIME_SHARING_FORECAST.scoreWeights.batch, ForecastSurvival: 2 } },
    }),
    planner: FORECAST_PLANNER,
    profileFor: forecastModeProfile,
  },
  // The timetable (Tidal before it learned to forecast): the profile's windows cap batch, drains ahead of peaks.
  'time-sharing-timetable': {
    name: 'time-sharing-timetable',
    description: "Tidal's timetable mode: the profile's windows with drains ahead of peaks, duration-aware batch placement",
    config: behindKubeScheduler({ ...TIME_SHARING, name: 'time-sharing-timetable' }),
    planner: DEFAULT_PLANNER,
    profileFor: (p) => p,
  },
  // Tidal without complementary-peak placement: online pods by current load only. For
  // measuring what the learned curves buy (tidal plan, docs/complementary-peak.md).
  'time-sharing-no-curves': {
    name: 'time-sharing-no-curves',
    description: 'time-sharing without complementary-peak placement: online pods by current load, batch by the profile only',
    config: behindKubeScheduler({
      ...TIME_SHARING,
      name: 'time-sharing-no-curves',
      complementaryPeak: { enabled: false, filter: false, batchCapacity: false },
      scoreWeights: { online: { LoadAware: 2, ZoneSpread: 1, AvoidBatchEviction: 1 }, batch: TIME_SHARING.scoreWeights.batch },
    }),
    planner: DEFAULT_PLANNER,
    profileFor: (p) => p,
  },
  // Tidal with the opt-in CombinedPeakFit filter (docs/complementary-peak.md: why it is off by default).
  'time-sharing-peak-filter': {
    name: 'time-sharing-peak-filter',
    description: 'time-sharing with the CombinedPeakFit filter: online pods refused where the summed curves would cross the headroom',
    config: behindKubeScheduler({ ...TIME_SHARING, name: 'time-sharing-peak-filter', complementaryPeak: { ...TIME_SHARING.complementaryPeak, filter: true } }),
    planner: DEFAULT_PLANNER,
    profileFor: (p) => p,
  },
  // The timetable with batch capacity from the forecast as well (the ForecastCapacity filter after the
  // profile's caps, the whole profile read): a batch pod needs room above the nodes' forecast upper band
  // over its runtime and within the windows' caps. (Named time-sharing-forecast until the forecast mode
  // became `time-sharing`; that name is now an alias of time-sharing, as the preset's.)
  'time-sharing-timetable-forecast': {
    name: 'time-sharing-timetable-forecast',
    description: "time-sharing-timetable plus the ForecastCapacity filter: batch fits within the profile's windows and above each node's forecast online band in every slot of its runtime",
    config: behindKubeScheduler({ ...TIME_SHARING, name: 'time-sharing-timetable-forecast', filters: [...DEFAULT_FILTERS, 'ForecastCapacity'] }),
    planner: DEFAULT_PLANNER,
    profileFor: (p) => p,
  },
};

/** What `tidal simulate` compares when no --policy is given: the peers and Tidal (variants are asked for by name). */
export const DEFAULT_POLICIES: readonly string[] = ['kube-default', 'koordinator', 'volcano-tdm', 'katalyst-tide', 'time-sharing'];

/** Former names still accepted (time-sharing-forecast: the forecast mode's former name, as the TidalConfig preset's). */
export const POLICY_ALIASES: Readonly<Record<string, string>> = { 'static-colocation': 'koordinator', 'time-sharing-forecast': 'time-sharing' };

/** Every name --policy accepts. */
export const POLICY_NAMES: readonly string[] = [...Object.keys(POLICIES), ...Object.keys(POLICY_ALIASES)];

export function policyByName(name: string): SimPolicy {
  const p = POLICIES[POLICY_ALIASES[name] ?? name];
  if (!p) throw new Error(`unknown policy "${name}"; known: ${POLICY_NAMES.join(', ')}`);
  return p;
}

/** The sweep's knobs for time-sharing: the user's profile scaled (every level's batch share x batchScale, capped at 1; onlineHeadroom + headroomAdd, capped to [0, 1]). */
export interface TimeSharingKnobs {
  batchScale?: number;
  headroomAdd?: number;
  /** Forecast mode: ForecastCapacity's target and the forecast drain's (the same figure). */
  forecastTarget?: number;
  /** Forecast mode: the band's upper quantile. */
  forecastQuantile?: number;
  /** Forecast mode: batch is admitted up to allocatable x (forecastTarget - this) (ForecastCapacity admissionMargin). */
  admissionMargin?: number;
  /** Forecast mode: the drain's lead, in 15-minute slots. */
  drainLeadSlots?: number;
  /** Forecast mode: 1 commits batch CPU at its owners' usage (ForecastCapacity batchCpu: usage), 0 at requests. */
  batchCpuByUsage?: number;
}

/** A time-sharing policy (or a variant by name) following a scaled profile (at the defaults, byte-identical to the named policy: test/unit/sweep). */
export function timeSharingPolicy(k: TimeSharingKnobs = {}, base = 'time-sharing'): SimPolicy {
  const p = policyByName(base);
  const scale = k.batchScale ?? 1;
  const add = k.headroomAdd ?? 0;
  const clamp = (x: number) => Math.min(1, Math.max(0, x));
  const level = <L extends { batchShare: number; onlineHeadroom: number }>(l: L): L => ({ ...l, batchShare: clamp(l.batchShare * scale), onlineHeadroom: clamp(l.onlineHeadroom + add) });
  let out: SimPolicy = { ...p, profileFor: (prof) => { const q = p.profileFor(prof); return { ...q, default: level(q.default), windows: q.windows.map(level) }; } };
  const fc = p.config.pluginArgs['ForecastCapacity'] as Record<string, unknown> | undefined;
  if (fc && (k.forecastTarget !== undefined || k.forecastQuantile !== undefined || k.admissionMargin !== undefined || k.batchCpuByUsage !== undefined)) {
    const args = {
      ...fc,
      ...(k.forecastTarget === undefined ? {} : { target: k.forecastTarget }),
      ...(k.forecastQuantile === undefined ? {} : { quantile: k.forecastQuantile }),
      ...(k.admissionMargin === undefined ? {} : { admissionMargin: k.admissionMargin }),
      ...(k.batchCpuByUsage === undefined ? {} : { batchCpu: k.batchCpuByUsage >= 0.5 ? 'usage' : 'requests' }),
    };
    out = { ...out, config: { ...out.config, pluginArgs: { ...out.config.pluginArgs, ForecastCapacity: args } } };
  }
  if (out.planner?.forecast && (k.forecastTarget !== undefined || k.drainLeadSlots !== undefined)) {
    const f = out.planner.forecast;
    out = { ...out, planner: { ...out.planner, forecast: { ...f, target: k.forecastTarget ?? f.target, leadSlots: k.drainLeadSlots ?? f.leadSlots } } };
  }
  return out;
}

function withoutKey<T extends object>(o: T, key: string): T {
  const { [key]: _dropped, ...rest } = o as Record<string, unknown>;
  return rest as T;
}
