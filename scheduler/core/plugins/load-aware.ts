// Online pods prefer nodes whose predicted online-side usage after placement leaves the most free
// (Koordinator's LoadAware "least used" score, over a percentile rather than the latest figure).

import { predictedOnline } from '../capacity.ts';
import { weightedScore, type ScorePlugin } from '../framework.ts';

export const LoadAware: ScorePlugin = {
  name: 'LoadAware',
  appliesTo: (ctx) => ctx.pod.class === 'online',
  score(ctx, node) {
    const a = node.spec.allocatable;
    const p = predictedOnline(node, ctx.now, ctx.state.usageConfig);
    return weightedScore(1 - (p.cpu + ctx.estimate.cpu) / a.cpu, 1 - (p.memory + ctx.estimate.memory) / a.memory, ctx.config.resourceWeights);
  },
};
