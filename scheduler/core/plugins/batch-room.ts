// Batch pods prefer nodes with the most batch capacity left after placement, at the worst level of
// their runtime span: the fuller a node's batch share, the likelier a drain or hot spot evicts from it.

import { batchFree, predictedOnline } from '../capacity.ts';
import { weightedScore, type ScorePlugin } from '../framework.ts';

export const BatchRoom: ScorePlugin = {
  name: 'BatchRoom',
  appliesTo: (ctx) => ctx.pod.class === 'batch' && ctx.config.colocation,
  score(ctx, node) {
    const a = node.spec.allocatable;
    const online = predictedOnline(node, ctx.now, ctx.state.usageConfig);
    const free = batchFree(node, ctx.spanLevel, online, ctx.scratch);
    const req = ctx.pod.requests;
    return weightedScore((free.cpu - req.cpu) / a.cpu, (free.memory - req.memory) / a.memory, ctx.config.resourceWeights);
  },
};
