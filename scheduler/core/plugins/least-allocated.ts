// kube-scheduler's default NodeResourcesFit LeastAllocated score: requests only, every class counts.

import { weightedScore, type ScorePlugin } from '../framework.ts';

export const LeastAllocated: ScorePlugin = {
  name: 'LeastAllocated',
  equivalence: 'shape',
  appliesTo: () => true,
  score(ctx, i) {
    const t = ctx.t;
    const req = ctx.pod.requests;
    const cpu = t.nonBatchCpu[i]! + t.batchCpu[i]! + req.cpu;
    const mem = t.nonBatchMem[i]! + t.batchMem[i]! + req.memory;
    return weightedScore(1 - cpu / t.allocCpu[i]!, 1 - mem / t.allocMem[i]!, ctx.config.resourceWeights);
  },
};
