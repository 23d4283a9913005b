// kube-scheduler's NodeResourcesFit score with its default strategy, LeastAllocated, over cpu and
// memory weighted 1:1 (upstream: pkg/scheduler/framework/plugins/noderesources/least_allocated.go and
// resource_allocation.go, kube-scheduler 1.37; weight 1 in apis/config/v1/default_plugins.go).
// Exactly as kube-scheduler computes it, in integers:
//   per resource: requested = the node's non-zero requests (nodeInfo.NonZeroRequested) + the pod's
//   (a container without a cpu or memory request counts 100m / 200 MiB: model.ts nonZeroCpu);
//   score_r = requested > allocatable ? 0 : floor((allocatable - requested) x 100 / allocatable);
//   node score = floor(sum of score_r x weight_r / sum of weights). No NormalizeScore.
// Native requests only: a pod that asks for extended batch resources (Tidal's tidal.io/batch-*, kept out
// of NodeResourcesFit by ignoredResourceGroups; a peer's batch-cpu) counts at the defaults.
// Unlike LeastAllocated (least-allocated.ts, Tidal's float form over every class's requests), this is
// the plugin of kube-scheduler's default score set (kube-defaults.ts).

import { MAX_SCORE, statelessScore } from '../framework.ts';
import { nonZeroCpu, nonZeroMemory } from '../model.ts';

/** One resource's LeastAllocated score (leastRequestedScore): 0..100, integer. */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity <= 0 || requested > capacity) return 0;
  return Math.floor(((capacity - requested) * MAX_SCORE) / capacity);
}

/** The node's score: cpu and memory weighted 1:1 (kube-scheduler's default resources), integer division. */
export function leastAllocatedScore(reqCpu: number, allocCpu: number, reqMem: number, allocMem: number): number {
  let sum = 0;
  let weights = 0;
  // A resource the node has none of is skipped (resource_allocation.go: alloc == 0).
  if (allocCpu > 0) {
    sum += leastRequestedScore(reqCpu, allocCpu);
    weights++;
  }
  if (allocMem > 0) {
    sum += leastRequestedScore(reqMem, allocMem);
    weights++;
  }
  return weights === 0 ? 0 : Math.floor(sum / weights);
}

export const NodeResourcesFit = statelessScore('NodeResourcesFit', "kube-scheduler's NodeResourcesFit score (LeastAllocated, cpu:memory 1:1, non-zero requests, integer)", ['online', 'batch'], {
  name: 'NodeResourcesFit',
  readsPrediction: false,
  signature: (ctx) => `${nonZeroCpu(ctx.pod)}/${nonZeroMemory(ctx.pod)}`,
  appliesTo: () => true,
  score(ctx, i) {
    const t = ctx.t;
    return leastAllocatedScore(t.nonZeroCpu[i]! + nonZeroCpu(ctx.pod), t.allocCpu[i]!, t.nonZeroMem[i]! + nonZeroMemory(ctx.pod), t.allocMem[i]!);
  },
});
