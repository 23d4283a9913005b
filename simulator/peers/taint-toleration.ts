// kube-scheduler's TaintToleration filter for the taints a peer controller puts on a node (Volcano's
// agent: NoSchedule volcano.sh/offline-job-evicting). NoSchedule and NoExecute taints keep every pod off
// the node but system ones (DaemonSets tolerate them); traced pods carry no tolerations, so online and
// batch pods alike are refused. The core has no such filter: in a real cluster kube-scheduler runs it.

import { refusingRows, statelessFilter, verdict } from '../../scheduler/core/framework.ts';
import type { NodeInfo, NodeTaint } from '../../scheduler/core/model.ts';

export const TaintToleration = statelessFilter('TaintToleration', "a node's NoSchedule/NoExecute taints keep untolerating pods off (kube-scheduler's TaintToleration)", {
  name: 'TaintToleration',
  // The verdict reads only the node's spec (covered by its row version).
  signature: () => '',
  appliesTo: (ctx) => ctx.pod.class !== 'system',
  filter(ctx, i) {
    const t = untolerated(ctx.nodes[i]!.spec);
    return t === undefined ? null : verdict('TaintToleration', `node(s) had untolerated taint {${t.key}: ${t.value}}`, true);
  },
  // Traced pods tolerate nothing: a NoSchedule or NoExecute taint refuses every online and batch pod.
  bound: (q) => (q.cls === 'system' ? null : refusingRows((i) => untolerated(q.nodes[i]!.spec) !== undefined)),
});

/** The node's first NoSchedule or NoExecute taint (traced pods tolerate none), if any. */
function untolerated(spec: NodeInfo): NodeTaint | undefined {
  return spec.taints?.find((t) => t.effect !== 'PreferNoSchedule');
}
