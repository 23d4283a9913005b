// kube-scheduler's default NodeResourcesFit LeastAllocated score: requests only, every class counts.

import { statelessScore, weightedScore } from '../framework.ts';
import { requestsSig } from '../signatures.ts';

export const LeastAllocated = statelessScore('LeastAllocated', "kube-scheduler's LeastAllocated over requests, every class counting", ['online', 'batch'], {
  name: 'LeastAllocated',
  signature: requestsSig,
  appliesTo: () => true,
  score(ctx, i) {
    const t = ctx.t;
    const req = ctx.pod.requests;
    const cpu = t.nonBatchCpu[i]! + t.batchCpu[i]! + req.cpu;
    const mem = t.nonBatchMem[i]! + t.batchMem[i]! + req.memory;
    return weightedScore(1 - cpu / t.allocCpu[i]!, 1 - mem / t.allocMem[i]!, ctx.config.resourceWeights);
  },
});
