// Online pods prefer nodes where they fit without pushing batch over its capacity, so that placing
// them evicts nothing. Where batch would have to give way, the score falls with the share of the node
// that must be freed, and stays below every node that needs no eviction.

import { batchCapacity, predictedOnline } from '../capacity.ts';
import { MAX_SCORE, type ScorePlugin } from '../framework.ts';

export const AvoidBatchEviction: ScorePlugin = {
  name: 'AvoidBatchEviction',
  appliesTo: (ctx) => ctx.pod.class === 'online' && ctx.config.colocation,
  score(ctx, node) {
    const batch = node.requested.batch;
    if (batch.cpu === 0 && batch.memory === 0) return MAX_SCORE;
    const p = predictedOnline(node, ctx.now, ctx.state.usageConfig);
    const after = ctx.scratch2;
    after.cpu = p.cpu + ctx.estimate.cpu;
    after.memory = p.memory + ctx.estimate.memory;
    const cap = batchCapacity(node, ctx.level, after, ctx.scratch);
    const a = node.spec.allocatable;
    const excess = Math.max((batch.cpu - cap.cpu) / a.cpu, (batch.memory - cap.memory) / a.memory);
    if (excess <= 0) return MAX_SCORE;
    return (MAX_SCORE / 2) * Math.max(0, 1 - excess);
  },
};
