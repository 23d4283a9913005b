// Online pods prefer nodes whose predicted online-side usage after placement leaves the most free
// (Koordinator's LoadAware "least used" score, over a percentile rather than the latest figure).

import { statelessScore, weightedScore } from '../framework.ts';
import { estimateSig } from '../signatures.ts';

export const LoadAware = statelessScore('LoadAware', 'online pods prefer the node with the least predicted online-side usage after placement', ['online'], {
  name: 'LoadAware',
  signature: estimateSig,
  appliesTo: (ctx) => ctx.pod.class === 'online',
  score(ctx, i) {
    const t = ctx.t;
    return weightedScore(1 - (t.predCpu[i]! + ctx.estimate.cpu) / t.allocCpu[i]!, 1 - (t.predMem[i]! + ctx.estimate.memory) / t.allocMem[i]!, ctx.config.resourceWeights);
  },
});
