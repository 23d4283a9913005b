// The knobs a sweep may turn, per policy: each maps onto a real parameter of the policy's factory
// (simulator/policies/*.ts), with its default and the range it accepts. A setting that leaves every
// knob at its default is the named policy itself (byte-identical results).

import { FORECAST_TARGET } from '../../scheduler/core/config.ts';
import { cranePolicy } from '../peers/crane/policy.ts';
import { katalystReclaimedPolicy } from '../peers/katalyst-reclaimed/policy.ts';
import { katalystTidePolicy } from '../peers/katalyst-tide/policy.ts';
import { koordinatorPolicy } from '../peers/koordinator/policy.ts';
import { POLICY_ALIASES, POLICY_NAMES, policyByName, timeSharingPolicy, type SimPolicy } from '../policies/index.ts';
import { volcanoPolicy } from '../peers/volcano-tdm/policy.ts';

export interface KnobSpec {
  default: number;
  min: number;
  max: number;
  about: string;
}

export type Setting = Readonly<Record<string, number>>;

interface Tunable {
  knobs: Readonly<Record<string, KnobSpec>>;
  build(s: Setting): SimPolicy;
}

/** The equal-information option (simulator/peers/foresight.ts): 0 off (the default), 1 on. */
const FORESIGHT = (what: string): KnobSpec => ({ default: 0, min: 0, max: 1, about: `1: ${what} (equal information; 0 by default)` });

const TIME_SHARING_KNOBS = {
  batchScale: { default: 1, min: 0, max: 10, about: "every profile level's batch share x this (capped at 1)" },
  headroomAdd: { default: 0, min: -1, max: 1, about: "added to every profile level's online headroom (kept in [0, 1])" },
};

const FORECAST_KNOBS = {
  ...TIME_SHARING_KNOBS,
  forecastTarget: { default: FORECAST_TARGET, min: 0.05, max: 1, about: 'ForecastCapacity target and forecast-drain target: online upper band + batch <= allocatable x this' },
  admissionMargin: { default: 0.02, min: 0, max: 0.5, about: 'ForecastCapacity admissionMargin: batch admitted up to allocatable x (forecastTarget - this); the drain acts above forecastTarget' },
  forecastQuantile: { default: 0.95, min: 0.51, max: 0.999, about: "the forecast band's upper quantile" },
  drainLeadSlots: { default: 2, min: 0, max: 95, about: 'slots (15 min) ahead of now the forecast drain looks' },
  batchCpuByUsage: { default: 1, min: 0, max: 1, about: "1: batch CPU committed at its owners' usage per request (ForecastCapacity batchCpu: usage, the default); 0: at its requests" },
};

const ts = (base: string): Tunable => ({ knobs: TIME_SHARING_KNOBS, build: (s) => timeSharingPolicy(s, base) });

export const TUNABLES: Readonly<Record<string, Tunable>> = {
  'kube-default': { knobs: {}, build: () => policyByName('kube-default') },
  koordinator: {
    knobs: {
      reclaimCpuPercent: { default: 60, min: 0, max: 100, about: 'cpuReclaimThresholdPercent: batch = node x this% - online usage' },
      reclaimMemoryPercent: { default: 65, min: 0, max: 100, about: 'memoryReclaimThresholdPercent' },
      suppressPercent: { default: 65, min: 0, max: 100, about: "koordlet's CPUSuppressThresholdPercent: batch held to node x this% - non-batch usage (at least 2 cores)" },
      foresight: FORESIGHT("a timed config change halves the reclaim thresholds from the profile's peak drain lead to its end"),
    },
    build: (s) => koordinatorPolicy(s),
  },
  'volcano-tdm': {
    knobs: {
      oversubscriptionRatio: { default: 0.6, min: 0, max: 1, about: 'share of what all pods leave unused offered to batch' },
      foresight: FORESIGHT('the operator closes the revocable zone for the profile\'s peak'),
      watermarks: { default: 1, min: 0, max: 1, about: "1: the agent's eviction watermarks (80/60 %, taint until 30/30 %), on by default in Volcano; 0: turned off" },
    },
    build: (s) => volcanoPolicy(s),
  },
  'katalyst-tide': {
    knobs: {
      reserveOnline: { default: 0.5, min: 0, max: 1, about: 'fraction of nodes reserved online' },
      reserveOffline: { default: 0.1, min: 0, max: 1, about: 'fraction of nodes reserved offline' },
    },
    build: (s) => katalystTidePolicy(s),
  },
  'katalyst-reclaimed': {
    knobs: {
      reserveCores: { default: 4, min: 0, max: 1024, about: 'ReservedResourceForAllocate cpu, cores: supply = A - this - online usage' },
      reserveMemoryGiB: { default: 5, min: 0, max: 4096, about: 'ReservedResourceForAllocate memory, GiB' },
      headroomTarget: { default: 0.6, min: 0, max: 1, about: 'TargetReclaimedCoreUtilization: the headroom ratchets up while reclaimed pods use less of the supply' },
      foresight: FORESIGHT('the reserve doubles for the profile\'s peak, from its drain lead to its end'),
    },
    build: (s) => katalystReclaimedPolicy(s),
  },
  crane: {
    knobs: {
      percentile: { default: 0.99, min: 0.5, max: 1, about: "the percentile predictor's percentile (the stand-in for Crane's DSP predictor)" },
      historyHours: { default: 72, min: 1, max: 24 * 14, about: 'history the percentile is taken over, hours (the horizon-like knob of the stand-in)' },
    },
    build: (s) => cranePolicy(s),
  },
  'time-sharing': { knobs: FORECAST_KNOBS, build: (s) => timeSharingPolicy(s, 'time-sharing') },
  'time-sharing-timetable': ts('time-sharing-timetable'),
  'time-sharing-no-curves': ts('time-sharing-no-curves'),
  'time-sharing-peak-filter': ts('time-sharing-peak-filter'),
  'time-sharing-timetable-forecast': ts('time-sharing-timetable-forecast'),
};

/**
 * The equal-information run of a peer as a policy of its own, `NAME+foresight`: the peer with its
 * foresight knob at 1 (simulator/peers/foresight.ts: the scheduled action its operators would take for
 * the profile's known peak), so that a sweep reports the foresight and the no-foresight runs side by
 * side, each tuned over the peer's other knobs. Crane has none (its predictor is its foresight);
 * katalyst-tide has none either (katalyst-reclaimed carries Katalyst's larger reserve).
 */
function withForesight(t: Tunable): Tunable {
  const { foresight: _, ...knobs } = t.knobs;
  return { knobs, build: (s) => t.build({ ...s, foresight: 1 }) };
}

export const FORESIGHT_VARIANTS: Readonly<Record<string, string>> = {
  'koordinator+foresight': 'koordinator',
  'volcano-tdm+foresight': 'volcano-tdm',
  'katalyst-reclaimed+foresight': 'katalyst-reclaimed',
};
for (const [variant, base] of Object.entries(FORESIGHT_VARIANTS)) (TUNABLES as Record<string, Tunable>)[variant] = withForesight(TUNABLES[base]!);

export function tunable(name: string): Tunable | undefined {
  return TUNABLES[POLICY_ALIASES[name] ?? name];
}

/** The policy for a setting (knobs not named keep their defaults). */
export function buildPolicy(name: string, s: Setting): SimPolicy {
  const t = tunable(name);
  if (!t) throw new Error(`policy "${name}" has no sweep knobs; known: ${POLICY_NAMES.join(', ')}`);
  return t.build(s);
}

/** A stable label for a setting: knobs in name order, e.g. "reclaimCpuPercent=50,reclaimMemoryPercent=65" ("default" when none). */
export function settingLabel(s: Setting): string {
  const keys = Object.keys(s).sort();
  return keys.length === 0 ? 'default' : keys.map((k) => `${k}=${s[k]}`).join(',');
}
