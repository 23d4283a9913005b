// kube-scheduler's NodeResourcesBalancedAllocation score (upstream:
// pkg/scheduler/framework/plugins/noderesources/balanced_allocation.go, kube-scheduler 1.37; weight 1 in
// apis/config/v1/default_plugins.go): nodes where cpu and memory would be used in equal shares score
// highest. Exactly as kube-scheduler computes it:
//   fraction_r = min(1, (node's requests + pod's requests) / allocatable) over cpu and memory, plain
//   requests (nodeInfo.Requested, no non-zero defaults; a resource the node has none of is skipped);
//   std = |fraction_cpu - fraction_mem| / 2 for two resources, 0 for one;
//   score = trunc((1 - std) x 100). No NormalizeScore.
// A pod that requests neither (best effort, here also a pod asking only for extended batch resources)
// is skipped (PreScore returns Skip, kubernetes#129138): every node gets 0 from this plugin.

import { MAX_SCORE, statelessScore } from '../framework.ts';
import { nativeCpu, nativeMemory } from '../model.ts';

/** The score of a node with these requested (pod included) and allocatable figures. */
export function balancedAllocationScore(reqCpu: number, allocCpu: number, reqMem: number, allocMem: number): number {
  let f1 = -1;
  let f2 = -1;
  if (allocCpu > 0) f1 = Math.min(1, reqCpu / allocCpu);
  if (allocMem > 0) f2 = Math.min(1, reqMem / allocMem);
  const std = f1 >= 0 && f2 >= 0 ? Math.abs((f1 - f2) / 2) : 0;
  return Math.trunc((1 - std) * MAX_SCORE);
}

export const NodeResourcesBalancedAllocation = statelessScore(
  'NodeResourcesBalancedAllocation',
  "kube-scheduler's BalancedAllocation: cpu and memory used in equal shares (integer; best-effort pods skipped)",
  ['online', 'batch'],
  {
    name: 'NodeResourcesBalancedAllocation',
    readsPrediction: false,
    signature: (ctx) => `${nativeCpu(ctx.pod)}/${nativeMemory(ctx.pod)}`,
    appliesTo: (ctx) => nativeCpu(ctx.pod) > 0 || nativeMemory(ctx.pod) > 0,
    score(ctx, i) {
      const t = ctx.t;
      return balancedAllocationScore(t.nativeCpu[i]! + nativeCpu(ctx.pod), t.allocCpu[i]!, t.nativeMem[i]! + nativeMemory(ctx.pod), t.allocMem[i]!);
    },
  },
);
