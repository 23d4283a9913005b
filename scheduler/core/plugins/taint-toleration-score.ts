// kube-scheduler's TaintToleration score (upstream: pkg/scheduler/framework/plugins/tainttoleration/
// taint_toleration.go, with helper.DefaultNormalizeScore reversed, kube-scheduler 1.37; weight 3 in
// apis/config/v1/default_plugins.go): a node scores by how many of its PreferNoSchedule taints the pod
// does not tolerate, fewer is better. The pods the core knows carry no tolerations, so every
// PreferNoSchedule taint counts (NodeTable.preferNoSchedule). NormalizeScore over the feasible nodes:
// 100 - floor(100 x count / max count), 100 for all when no node has one (then it adds the same to every node).
// The filter half (NoSchedule/NoExecute) is the peers' TaintToleration filter (simulator/peers/taint-toleration.ts).

import { MAX_SCORE, statelessScore } from '../framework.ts';

interface Prepared {
  max: number;
}

export const TaintTolerationScore = statelessScore<Prepared>(
  'TaintToleration',
  "kube-scheduler's TaintToleration score: fewer untolerated PreferNoSchedule taints is better (normalised over the feasible nodes)",
  ['online', 'batch'],
  {
    name: 'TaintToleration',
    readsPrediction: false,
    appliesTo: (ctx) => ctx.pod.class !== 'system',
    prepare(ctx, rows) {
      const c = ctx.t.preferNoSchedule;
      let max = 0;
      for (let k = 0; k < rows.length; k++) if (c[rows[k]!]! > max) max = c[rows[k]!]!;
      return { max };
    },
    score(ctx, i, p) {
      if (p.max === 0) return MAX_SCORE;
      return MAX_SCORE - Math.floor((MAX_SCORE * ctx.t.preferNoSchedule[i]!) / p.max);
    },
    scoreInto(ctx, rows, n, p, w, out) {
      if (p.max === 0) {
        for (let k = 0; k < n; k++) out[k]! += w * MAX_SCORE;
        return;
      }
      const c = ctx.t.preferNoSchedule;
      for (let k = 0; k < n; k++) out[k]! += w * (MAX_SCORE - Math.floor((MAX_SCORE * c[rows[k]!]!) / p.max));
    },
  },
);
