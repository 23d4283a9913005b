// Crane's scheduling side as core plugins, reading what controller.ts writes on the node:
//   CraneElasticFit / CraneElasticRoom  batch pods request gocrane.io/cpu|memory, the elastic resource
//     the agent publishes (NodeResourcesFit on an extended resource: requests of batch pods already
//     there count against it; a node that has not published it yet offers none). The core's Level
//     CapacityModel cannot express it: its prediction is of online-side usage, Crane's of the whole
//     node with batch included, so the figure is computed by the agent (controller.ts) as Crane does.
//   CraneDynamic  the Dynamic plugin (crane-scheduler pkg/plugins/dynamic) over the annotator's load
//     figures, under the annotation names Crane uses; formula.ts has the thresholds and weights.

import { NativeLeastAllocated } from '../native-least-allocated.ts';
import { failWith, freeRows, refusingRows, weightedScore, type FilterDefinition, type PodContext, type ScoreDefinition } from '../../../scheduler/core/framework.ts';
import { requestsSig } from '../../../scheduler/core/signatures.ts';
import { dynamicOverload, dynamicScore, type DynamicLoad } from './formula.ts';

/** Annotation keys (the Prometheus rule names of the default policy). */
export const LOAD_KEYS = {
  cpu: { avg5m: 'cpu_usage_avg_5m', maxAvg1h: 'cpu_usage_max_avg_1h', maxAvg1d: 'cpu_usage_max_avg_1d' },
  memory: { avg5m: 'mem_usage_avg_5m', maxAvg1h: 'mem_usage_max_avg_1h', maxAvg1d: 'mem_usage_max_avg_1d' },
} as const;

/** The elastic resource on the node (its status in Crane). */
export const ELASTIC_KEYS = { cpu: 'gocrane.io/cpu', memory: 'gocrane.io/memory' } as const;

/** Elastic resource still free on node i: published figure less batch requests (0 when not published). */
export function elasticFree(ctx: Pick<PodContext, 't' | 'nodes'>, i: number): { cpu: number; memory: number } {
  const labels = ctx.nodes[i]!.spec.labels;
  return {
    cpu: Math.max(0, (num(labels, ELASTIC_KEYS.cpu) ?? 0) - ctx.t.batchCpu[i]!),
    memory: Math.max(0, (num(labels, ELASTIC_KEYS.memory) ?? 0) - ctx.t.batchMem[i]!),
  };
}

export const CraneElasticFit: FilterDefinition<null> = {
  kind: 'filter',
  name: 'CraneElasticFit',
  description: "Crane: a batch pod's requests fit in the node's gocrane.io/cpu|memory elastic resource less the batch pods already there",
  defaults: null,
  create: () => ({
    name: 'CraneElasticFit',
    signature: requestsSig,
    appliesTo: (ctx) => ctx.pod.class === 'batch',
    filter(ctx, i) {
      const free = elasticFree(ctx, i);
      const req = ctx.pod.requests;
      if (req.cpu > free.cpu) return failWith(ctx, 'CraneElasticFit', 'cpu', true, () => 'Insufficient gocrane.io/cpu');
      if (req.memory > free.memory) return failWith(ctx, 'CraneElasticFit', 'memory', true, () => 'Insufficient gocrane.io/memory');
      return null;
    },
    bound: (q) => (q.cls !== 'batch' ? null : freeRows((i) => elasticFree(q, i))),
  }),
};

export const CraneElasticRoom: ScoreDefinition<null> = {
  kind: 'score',
  name: 'CraneElasticRoom',
  description: 'batch pods prefer the node with the most elastic resource left after placement (LeastAllocated on gocrane.io/*)',
  classes: ['batch'],
  defaults: null,
  create: () => ({
    name: 'CraneElasticRoom',
    signature: requestsSig,
    readsPrediction: false,
    appliesTo: (ctx) => ctx.pod.class === 'batch',
    score(ctx, i) {
      const free = elasticFree(ctx, i);
      const req = ctx.pod.requests;
      return weightedScore((free.cpu - req.cpu) / ctx.t.allocCpu[i]!, (free.memory - req.memory) / ctx.t.allocMem[i]!, ctx.config.resourceWeights);
    },
  }),
};

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
    bound: (q) => (q.cls === 'system' ? null : refusingRows((i) => dynamicOverload(loadOf(q.nodes[i]!.spec.labels)) !== null)),
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

export const CRANE_DEFINITIONS = [CraneElasticFit, CraneElasticRoom, CraneDynamicFilter, CraneDynamicScore, NativeLeastAllocated] as const;
