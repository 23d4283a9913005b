// kube-scheduler's TaintToleration filter for the taints a peer controller puts on a node (Volcano's
// agent: NoSchedule volcano.sh/offline-job-evicting). NoSchedule and NoExecute taints keep every pod off
// the node but system ones (DaemonSets tolerate them); traced pods carry no tolerations, so online and
// batch pods alike are refused. The core has no such filter: in a real cluster kube-scheduler runs it.

import { refusingRows, statelessFilter, verdict } from '../../scheduler/core/framework.ts';

export const TaintToleration = statelessFilter('TaintToleration', "a node's NoSchedule/NoExecute taints keep untolerating pods off (kube-scheduler's TaintToleration)", {
  name: 'TaintToleration',
  // The verdict reads only the node's spec (covered by its row version).
  signature: () => '',
  appliesTo: (ctx) => ctx.pod.class !== 'system',
  filter(ctx, i) {
    const taints = ctx.nodes[i]!.spec.taints;
    if (!taints) return null;
    for (const t of taints) {
      if (t.effect === 'PreferNoSchedule') continue;
      return verdict('TaintToleration', `node(s) had untolerated taint {${t.key}: ${t.value}}`, true);
    }
    return null;
  },
  // Traced pods tolerate nothing: a NoSchedule or NoExecute taint refuses every online and batch pod.
  bound: (q) =>
    q.cls === 'system'
      ? null
      : refusingRows((i) => {
          const taints = q.nodes[i]!.spec.taints;
          return !!taints && taints.some((t) => t.effect !== 'PreferNoSchedule');
        }),
});
