// Online pods prefer nodes where they fit without pushing batch over its capacity, so that placing
// them evicts nothing. Where batch would have to give way, the score falls with the share of the node
// that must be freed, and stays below every node that needs no eviction.

import { MAX_SCORE, type ScorePlugin } from '../framework.ts';

export const AvoidBatchEviction: ScorePlugin = {
  name: 'AvoidBatchEviction',
  equivalence: 'shape',
  appliesTo: (ctx) => ctx.pod.class === 'online' && ctx.config.colocation,
  score(ctx, i) {
    const t = ctx.t;
    const bCpu = t.batchCpu[i]!;
    const bMem = t.batchMem[i]!;
    if (bCpu === 0 && bMem === 0) return MAX_SCORE;
    const lv = ctx.level;
    const aCpu = t.allocCpu[i]!;
    const aMem = t.allocMem[i]!;
    // Batch capacity once the pod's usage joins the node's predicted online usage.
    const capCpu = Math.max(0, Math.min(aCpu * lv.batchShare, aCpu * (1 - lv.onlineHeadroom) - t.predCpu[i]! - ctx.estimate.cpu));
    const capMem = Math.max(0, Math.min(aMem * lv.batchShare, aMem * (1 - lv.onlineHeadroom) - t.predMem[i]! - ctx.estimate.memory));
    const excess = Math.max((bCpu - capCpu) / aCpu, (bMem - capMem) / aMem);
    if (excess <= 0) return MAX_SCORE;
    return (MAX_SCORE / 2) * Math.max(0, 1 - excess);
  },
};
