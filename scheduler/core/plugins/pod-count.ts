// A node holds at most status.allocatable.pods pods, whatever their class.

import type { FilterPlugin } from '../framework.ts';

export const PodCountFit: FilterPlugin = {
  name: 'PodCountFit',
  equivalence: 'shape',
  unresolvable: false,
  appliesTo: () => true,
  filter: (ctx, i) => (ctx.t.pods[i]! + 1 > ctx.t.maxPods[i]! ? 'too many pods' : null),
};
