// kube-scheduler's default NodeResourcesFit LeastAllocated score: requests only, every class counts.

import { weightedScore, type ScorePlugin } from '../framework.ts';

export const LeastAllocated: ScorePlugin = {
  name: 'LeastAllocated',
  appliesTo: () => true,
  score(ctx, node) {
    const a = node.spec.allocatable;
    const r = node.requested;
    const req = ctx.pod.requests;
    const cpu = r.online.cpu + r.batch.cpu + r.system.cpu + req.cpu;
    const mem = r.online.memory + r.batch.memory + r.system.memory + req.memory;
    return weightedScore(1 - cpu / a.cpu, 1 - mem / a.memory, ctx.config.resourceWeights);
  },
};
