// The simulator's named policies. Each is a configuration of the one core (PolicyConfig for placement,
// PlannerConfig for the descheduler) plus which profile it follows; none has code of its own.
//   kube-default       requests only, least allocated, no co-location, no descheduler: what an
//                      unmodified kube-scheduler does. Batch requests count as fully as online ones.
//   static-colocation  batch borrows predicted idle online capacity at one constant level, with no
//                      cap on its share and a 35% safety margin (Koordinator's default reclaim
//                      thresholds are 60% CPU / 65% memory), hot-spot relief and drain when idle
//                      capacity shrinks: Koordinator-like, no time windows, no durations.
//   time-sharing       Tidal: the profile's windows, drains ahead of peaks, duration-aware batch.

import { KUBE_DEFAULT, STATIC_COLOCATION, TIME_SHARING, type PolicyConfig } from '../scheduler/core/config.ts';
import { DEFAULT_PLANNER, type PlannerConfig } from '../scheduler/core/eviction-planner.ts';
import { constantProfile, type Profile } from '../scheduler/core/profile.ts';

/** Koordinator's default reclaim thresholds (60% CPU, 65% memory) as one level: a 35% safety margin, no share cap. */
export const STATIC_LEVEL = { batchShare: 1, onlineHeadroom: 0.35 };

export interface SimPolicy {
  name: string;
  description: string;
  config: PolicyConfig;
  /** null: no descheduler runs. */
  planner: PlannerConfig | null;
  /** The profile this policy follows, given the profile the user chose. */
  profileFor(profile: Profile): Profile;
}

export const POLICIES: Readonly<Record<string, SimPolicy>> = {
  'kube-default': {
    name: 'kube-default',
    description: 'kube-scheduler as shipped: requests only, least allocated; batch counts like online',
    config: KUBE_DEFAULT,
    planner: null,
    profileFor: () => constantProfile({ batchShare: 1, onlineHeadroom: 0 }, 'none'),
  },
  'static-colocation': {
    name: 'static-colocation',
    description: 'batch borrows predicted idle capacity above a constant 35% safety margin; no windows, no durations',
    config: STATIC_COLOCATION,
    planner: DEFAULT_PLANNER,
    profileFor: () => constantProfile(STATIC_LEVEL, 'static'),
  },
  'time-sharing': {
    name: 'time-sharing',
    description: "Tidal: the profile's windows with drains ahead of peaks, duration-aware batch placement",
    config: TIME_SHARING,
    planner: DEFAULT_PLANNER,
    profileFor: (p) => p,
  },
};

export function policyByName(name: string): SimPolicy {
  const p = POLICIES[name];
  if (!p) throw new Error(`unknown policy "${name}"; known: ${Object.keys(POLICIES).join(', ')}`);
  return p;
}
