// kube-scheduler's NodeResourcesBalancedAllocation score (upstream:
// pkg/scheduler/framework/plugins/noderesources/balanced_allocation.go, kube-scheduler 1.37, which
// scores the change in balance since kubernetes#135573; weight 1 in apis/config/v1/default_plugins.go):
// nodes whose cpu and memory shares the pod brings closer score highest. As kube-scheduler computes it:
//   balance(requested) = trunc((1 - std) x 100), fraction_r = min(1, requested_r / allocatable_r) over
//   cpu and memory, plain requests (nodeInfo.Requested, no non-zero defaults; a resource the node has
//   none of is skipped), std = |fraction_cpu - fraction_mem| / 2 for two resources, 0 for one;
//   score = 50 + floor((50 + balance(node + pod) - balance(node)) / 2): 75 when the pod leaves the
//   balance as it was, towards 100 when it improves it, towards 50 when it worsens it. No NormalizeScore.
// A pod that requests neither (best effort, here also a pod asking only for extended batch resources)
// is skipped (PreScore returns Skip, kubernetes#129138): every node gets 0 from this plugin.

import { MAX_SCORE, statelessScore } from '../framework.ts';
import { nativeCpu, nativeMemory } from '../model.ts';

/** balance(requested): trunc((1 - std) x 100) of a node with these requested and allocatable figures. */
export function balancedAllocationScore(reqCpu: number, allocCpu: number, reqMem: number, allocMem: number): number {
  let f1 = -1;
  let f2 = -1;
  if (allocCpu > 0) f1 = Math.min(1, reqCpu / allocCpu);
  if (allocMem > 0) f2 = Math.min(1, reqMem / allocMem);
  const std = f1 >= 0 && f2 >= 0 ? Math.abs((f1 - f2) / 2) : 0;
  return Math.trunc((1 - std) * MAX_SCORE);
}

/** The score from the balance with and without the pod: 50 + (50 + with - without) / 2, integer division. */
export function balanceChangeScore(withPod: number, without: number): number {
  return MAX_SCORE / 2 + Math.trunc((MAX_SCORE / 2 + withPod - without) / 2);
}

export const NodeResourcesBalancedAllocation = statelessScore(
  'NodeResourcesBalancedAllocation',
  "kube-scheduler's BalancedAllocation: the change the pod brings to the balance of cpu and memory shares (integer; best-effort pods skipped)",
  ['online', 'batch'],
  {
    name: 'NodeResourcesBalancedAllocation',
    readsPrediction: false,
    signature: (ctx) => `${nativeCpu(ctx.pod)}/${nativeMemory(ctx.pod)}`,
    appliesTo: (ctx) => nativeCpu(ctx.pod) > 0 || nativeMemory(ctx.pod) > 0,
    score(ctx, i) {
      const t = ctx.t;
      const withPod = balancedAllocationScore(t.nativeCpu[i]! + nativeCpu(ctx.pod), t.allocCpu[i]!, t.nativeMem[i]! + nativeMemory(ctx.pod), t.allocMem[i]!);
      const without = balancedAllocationScore(t.nativeCpu[i]!, t.allocCpu[i]!, t.nativeMem[i]!, t.allocMem[i]!);
      return balanceChangeScore(withPod, without);
    },
  },
);
