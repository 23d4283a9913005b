// kube-scheduler's NodeResourcesFit LeastAllocated score over native cpu/memory requests only, as it
// works in a cluster whose batch pods ask for an extended resource (Koordinator's kubernetes.io/batch-cpu,
// Volcano's oversubscription resources): batch requests are not in the native figures. For the
// simulator's peer policies; Tidal's own LeastAllocated (kube-default) counts every class.

import { statelessScore, weightedScore } from '../framework.ts';

export const NativeLeastAllocated = statelessScore('NativeLeastAllocated', 'LeastAllocated over native requests (batch asks for an extended resource)', ['online'], {
  name: 'NativeLeastAllocated',
  appliesTo: (ctx) => ctx.pod.class === 'online',
  score(ctx, i) {
    const t = ctx.t;
    const req = ctx.pod.requests;
    return weightedScore(1 - (t.nonBatchCpu[i]! + req.cpu) / t.allocCpu[i]!, 1 - (t.nonBatchMem[i]! + req.memory) / t.allocMem[i]!, ctx.config.resourceWeights);
  },
});
