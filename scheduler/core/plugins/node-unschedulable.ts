// Cordoned nodes take no new online or batch pods. (System pods such as DaemonSets tolerate the
// unschedulable taint in kube-scheduler; Tidal leaves them to it.)

import type { FilterPlugin } from '../framework.ts';

export const NodeUnschedulable: FilterPlugin = {
  name: 'NodeUnschedulable',
  equivalence: 'shape',
  unresolvable: true,
  appliesTo: (ctx) => ctx.pod.class !== 'system',
  filter: (ctx, i) => (ctx.t.unschedulable[i] ? 'node is cordoned (spec.unschedulable)' : null),
};
