// Cordoned nodes take no new online or batch pods. (System pods such as DaemonSets tolerate the
// unschedulable taint in kube-scheduler; Tidal leaves them to it.)

import { refusingRows, statelessFilter, verdict } from '../framework.ts';

const CORDONED = verdict('NodeUnschedulable', 'node is cordoned (spec.unschedulable)', true);

export const NodeUnschedulable = statelessFilter('NodeUnschedulable', 'cordoned nodes take no online or batch pods', {
  name: 'NodeUnschedulable',
  signature: () => '',
  appliesTo: (ctx) => ctx.pod.class !== 'system',
  filter: (ctx, i) => (ctx.t.unschedulable[i] ? CORDONED : null),
  bound: (q) => (q.cls === 'system' ? null : refusingRows((i) => q.t.unschedulable[i] !== 0)),
});
