// Batch pods prefer nodes with the most batch capacity left after placement, at the worst level of
// their runtime span: the fuller a node's batch share, the likelier a drain or hot spot evicts from it.

import { batchFreeAt } from '../capacity.ts';
import { weightedScore, type ScorePlugin } from '../framework.ts';

export const BatchRoom: ScorePlugin = {
  name: 'BatchRoom',
  equivalence: 'shape',
  appliesTo: (ctx) => ctx.pod.class === 'batch' && ctx.config.colocation,
  score(ctx, i) {
    const t = ctx.t;
    const free = batchFreeAt(t, i, ctx.spanLevel, ctx.scratch);
    const req = ctx.pod.requests;
    return weightedScore((free.cpu - req.cpu) / t.allocCpu[i]!, (free.memory - req.memory) / t.allocMem[i]!, ctx.config.resourceWeights);
  },
};
