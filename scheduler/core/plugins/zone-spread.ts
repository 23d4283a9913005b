// Online pods of one app spread across zones: the zone holding the fewest of the app's pods scores
// highest, normalised between the least and most loaded zone among the feasible nodes (as
// PodTopologySpread's scoring). Nodes without a zone label score as the least loaded zone.

import { MAX_SCORE, type ScorePlugin } from '../framework.ts';

interface Prepared {
  min: number;
  max: number;
}

export const ZoneSpread: ScorePlugin<Prepared> = {
  name: 'ZoneSpread',
  appliesTo: (ctx) => ctx.pod.class === 'online',
  prepare(ctx, nodes) {
    let min = Infinity;
    let max = 0;
    const zones = ctx.state.appZoneCounts.get(ctx.pod.app);
    for (const n of nodes) {
      if (!n.spec.zone) continue;
      const c = zones?.get(n.spec.zone) ?? 0;
      if (c < min) min = c;
      if (c > max) max = c;
    }
    return { min: min === Infinity ? 0 : min, max };
  },
  score(ctx, node, p) {
    if (!node.spec.zone || p.max === p.min) return MAX_SCORE;
    const c = ctx.state.appZoneCount(ctx.pod.app, node.spec.zone);
    return (MAX_SCORE * (p.max - c)) / (p.max - p.min);
  },
};
