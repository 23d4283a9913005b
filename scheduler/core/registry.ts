// Every plugin of Tidal's that the engine can build, by name (the peers' baselines keep theirs in
// simulator/peers/<peer>/ and hand them to the engine: EngineOptions.definitions). A policy names its filters (PolicyConfig.filters, in the
// order they run) and its scores (PolicyConfig.scoreWeights), and gives a plugin args under its name
// (PolicyConfig.pluginArgs); the engine builds its own instances through each definition's factory.
// A plugin with a filter and a score (the Koordinator baseline's KoordLoadAware) is one name with one
// args block, as in kube-scheduler. Adding a plugin: its file in plugins/ exporting a definition, and one line here.

import type { ArgsIssue, FilterDefinition, ScoreDefinition } from './framework.ts';
import { AppStackingLimit } from './plugins/app-stacking.ts';
import { AvoidBatchEviction } from './plugins/avoid-batch-eviction.ts';
import { BatchCapacityFit } from './plugins/batch-capacity.ts';
import { BatchRoom } from './plugins/batch-room.ts';
import { CombinedPeakFit, ComplementaryPeak } from './plugins/complementary-peak.ts';
import { ForecastCapacity } from './plugins/forecast-capacity.ts';
import { ForecastSurvival } from './plugins/forecast-survival.ts';
import { NodeResourcesBalancedAllocation } from './plugins/balanced-allocation.ts';
import { LeastAllocated } from './plugins/least-allocated.ts';
import { LoadAware } from './plugins/load-aware.ts';
import { NodeResourcesFit } from './plugins/node-resources-fit.ts';
import { NodeUnschedulable } from './plugins/node-unschedulable.ts';
import { OnlineLoadThreshold } from './plugins/online-load.ts';
import { OnlineShapeRoom } from './plugins/online-shape-room.ts';
import { PodCountFit } from './plugins/pod-count.ts';
import { PodTopologySpread } from './plugins/pod-topology-spread.ts';
import { RequestsFit } from './plugins/requests-fit.ts';
import { TaintTolerationScore } from './plugins/taint-toleration-score.ts';
import { WindowSurvival } from './plugins/window-survival.ts';
import { ZoneSpread } from './plugins/zone-spread.ts';

/** Tidal's filters, in the order Tidal's policies run them: cheap and decisive first. */
export const TIDAL_FILTERS: readonly FilterDefinition<any>[] = [NodeUnschedulable, PodCountFit, RequestsFit, AppStackingLimit, OnlineLoadThreshold, CombinedPeakFit, BatchCapacityFit];

/**
 * Filters a policy may name but Tidal's own policies do not run (DEFAULT_FILTERS leaves them out):
 * ForecastCapacity, batch capacity from the forecast, until it is measured against the timetable.
 */
export const OPT_IN_FILTERS: readonly FilterDefinition<any>[] = [ForecastCapacity];

/** Tidal's scores (a TidalConfig's scoreWeights may name these, for the classes each lists). */
export const TIDAL_SCORES: readonly ScoreDefinition<any>[] = [LoadAware, ZoneSpread, AvoidBatchEviction, BatchRoom, WindowSurvival, LeastAllocated, ComplementaryPeak, OnlineShapeRoom, ForecastSurvival];

/**
 * kube-scheduler's own score plugins, as it runs them by default (the core's models: plugins/ names
 * the upstream file of each). Not Tidal's scores: the simulator's models of a kube-scheduler
 * (kube-default, Tidal's extender inside kube-scheduler, the peers' schedulers) run them.
 */
export const KUBE_SCHEDULER_SCORE_PLUGINS: readonly ScoreDefinition<any>[] = [NodeResourcesFit, NodeResourcesBalancedAllocation, PodTopologySpread, TaintTolerationScore];

/**
 * kube-scheduler 1.37's default score set and weights (pkg/scheduler/apis/config/v1/default_plugins.go),
 * the one definition every model of a kube-scheduler shares. Left out, because for the pods the core
 * knows they give every node the same score, so they never change a decision: NodeAffinity (weight 2:
 * no preferred node affinity), InterPodAffinity (2: no affinity terms), ImageLocality (1: no images
 * known; on a real cluster with images on nodes it can matter, and it is not modelled) and VolumeBinding
 * (no volumes). Summed as kube-scheduler sums them: each plugin's integer score x its weight.
 */
export const KUBE_SCHEDULER_SCORES: Readonly<Record<string, number>> = { NodeResourcesFit: 1, NodeResourcesBalancedAllocation: 1, PodTopologySpread: 2, TaintToleration: 3 };

/** What Tidal's policies filter with, in order. */
export const DEFAULT_FILTERS: readonly string[] = TIDAL_FILTERS.map((d) => d.name);

const byName = <D extends { name: string }>(defs: readonly D[]): ReadonlyMap<string, D> => new Map(defs.map((d) => [d.name, d]));
const FILTERS_BY_NAME = byName([...TIDAL_FILTERS, ...OPT_IN_FILTERS]);
const SCORES_BY_NAME = byName([...TIDAL_SCORES, ...KUBE_SCHEDULER_SCORE_PLUGINS]);

export function filterDefinition(name: string): FilterDefinition<any> | undefined {
  return FILTERS_BY_NAME.get(name);
}

export function scoreDefinition(name: string): ScoreDefinition<any> | undefined {
  return SCORES_BY_NAME.get(name);
}

/** The names of Tidal's scores that a class may weight, in registry order. */
export function scoreNamesFor(cls: 'online' | 'batch'): string[] {
  return TIDAL_SCORES.filter((d) => d.classes.includes(cls)).map((d) => d.name);
}

/**
 * Every problem with a plugin's args: fields the definition does not list (for mapping args), then its
 * validator's findings. The engine refuses a policy with any; the TidalConfig loader reports them
 * with their position in the file.
 */
export function argsIssues(d: FilterDefinition<any> | ScoreDefinition<any>, args: unknown): ArgsIssue[] {
  const issues: ArgsIssue[] = [];
  if (d.fields && typeof args === 'object' && args !== null && !Array.isArray(args) && !(args instanceof Map)) {
    for (const k of Object.keys(args)) if (!d.fields.includes(k)) issues.push({ path: [k], message: `unknown field; allowed: ${d.fields.join(', ')}` });
  }
  if (d.validate) issues.push(...d.validate(args));
  return issues;
}

/** The definition of a plugin name with args: a filter's, else a score's. */
export function pluginDefinition(name: string): FilterDefinition<any> | ScoreDefinition<any> | undefined {
  return FILTERS_BY_NAME.get(name) ?? SCORES_BY_NAME.get(name);
}
