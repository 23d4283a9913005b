// Online pods prefer nodes whose predicted online-side usage after placement leaves the most free
// (Koordinator's LoadAware "least used" score, over a percentile rather than the latest figure).

import { weightedScore, type ScorePlugin } from '../framework.ts';

export const LoadAware: ScorePlugin = {
  name: 'LoadAware',
  equivalence: 'shape',
  appliesTo: (ctx) => ctx.pod.class === 'online',
  score(ctx, i) {
    const t = ctx.t;
    return weightedScore(1 - (t.predCpu[i]! + ctx.estimate.cpu) / t.allocCpu[i]!, 1 - (t.predMem[i]! + ctx.estimate.memory) / t.allocMem[i]!, ctx.config.resourceWeights);
  },
};
