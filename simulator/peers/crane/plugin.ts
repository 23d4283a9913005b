// Crane's Dynamic scheduler plugin (crane-scheduler pkg/plugins/dynamic) as a core filter and score.
// It reads the load figures the annotator (controller.ts) writes on the node, under the annotation
// names Crane uses; formula.ts has the thresholds and weights.

import { failWith, type FilterDefinition, type PodContext, type ScoreDefinition } from '../../../scheduler/core/framework.ts';
import { dynamicOverload, dynamicScore, type DynamicLoad } from './formula.ts';

/** Annotation keys (the Prometheus rule names of the default policy). */
export const LOAD_KEYS = {
  cpu: { avg5m: 'cpu_usage_avg_5m', maxAvg1h: 'cpu_usage_max_avg_1h', maxAvg1d: 'cpu_usage_max_avg_1d' },
  memory: { avg5m: 'mem_usage_avg_5m', maxAvg1h: 'mem_usage_max_avg_1h', maxAvg1d: 'mem_usage_max_avg_1d' },
} as const;

function num(labels: Readonly<Record<string, string>>, key: string): number | null {
  const v = labels[key];
  if (v === undefined) return null;
  const x = Number(v);
  return Number.isFinite(x) && x >= 0 ? x : null;
}

/** The load figures on a node's annotations (null where absent). */
export function loadOf(labels: Readonly<Record<string, string>>): DynamicLoad {
  const one = (r: 'cpu' | 'memory') => ({ avg5m: num(labels, LOAD_KEYS[r].avg5m), maxAvg1h: num(labels, LOAD_KEYS[r].maxAvg1h), maxAvg1d: num(labels, LOAD_KEYS[r].maxAvg1d) });
  return { cpu: one('cpu'), memory: one('memory') };
}

// Every pod but DaemonSet ones (the simulator has none among traced pods): the verdict reads only the
// node's annotations, covered by its row version, so the signature is constant.
const applies = (ctx: PodContext) => ctx.pod.class !== 'system';

export const CraneDynamicFilter: FilterDefinition<null> = {
  kind: 'filter',
  name: 'CraneDynamic',
  description: "Crane's Dynamic plugin: refuse a node whose 5-minute (65 %) or 1-hour-max (75 %) CPU or memory utilisation is over the threshold",
  defaults: null,
  create: () => ({
    name: 'CraneDynamic',
    signature: () => '',
    appliesTo: applies,
    filter(ctx, i) {
      const over = dynamicOverload(loadOf(ctx.nodes[i]!.spec.labels));
      if (over === null) return null;
      return failWith(ctx, 'CraneDynamic', over, false, () => `load ${over} of the node is too high`);
    },
  }),
};

export const CraneDynamicScore: ScoreDefinition<null> = {
  kind: 'score',
  name: 'CraneDynamic',
  description: "Crane's Dynamic plugin: weighted (1 - utilisation) over 5-minute, 1-hour-max and 1-day-max CPU and memory figures",
  classes: ['online', 'batch'],
  defaults: null,
  create: () => ({
    name: 'CraneDynamic',
    signature: () => '',
    readsPrediction: false,
    appliesTo: applies,
    score: (ctx, i) => dynamicScore(loadOf(ctx.nodes[i]!.spec.labels)),
  }),
};

export const CRANE_DEFINITIONS = [CraneDynamicFilter, CraneDynamicScore] as const;
