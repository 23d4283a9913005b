// A node holds at most status.allocatable.pods pods, whatever their class. Evicting a pod makes room,
// so the verdict is resolvable.

import { refusingRows, statelessFilter, verdict } from '../framework.ts';

const FULL = verdict('PodCountFit', 'too many pods', false);

export const PodCountFit = statelessFilter('PodCountFit', 'at most status.allocatable.pods pods per node', {
  name: 'PodCountFit',
  signature: () => '',
  appliesTo: () => true,
  filter: (ctx, i) => (ctx.t.pods[i]! + 1 > ctx.t.maxPods[i]! ? FULL : null),
  bound: (q) => refusingRows((i) => q.t.pods[i]! + 1 > q.t.maxPods[i]!),
});
