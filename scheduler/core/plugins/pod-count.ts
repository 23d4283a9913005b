// A node holds at most status.allocatable.pods pods, whatever their class.

import type { FilterPlugin } from '../framework.ts';

export const PodCountFit: FilterPlugin = {
  name: 'PodCountFit',
  unresolvable: false,
  appliesTo: () => true,
  filter: (_ctx, node) => (node.podCount + 1 > node.spec.maxPods ? 'too many pods' : null),
};
