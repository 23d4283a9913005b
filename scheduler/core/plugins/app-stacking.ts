// At most N pods of one online app on a node, so that one node failing or running hot takes out a
// bounded share of a service.

import type { FilterPlugin } from '../framework.ts';

export const AppStackingLimit: FilterPlugin = {
  name: 'AppStackingLimit',
  unresolvable: true,
  appliesTo: (ctx) => ctx.pod.class === 'online' && ctx.config.online.maxPodsPerAppPerNode > 0,
  filter(ctx, node) {
    const n = node.appCount(ctx.pod.app);
    const max = ctx.config.online.maxPodsPerAppPerNode;
    return n >= max ? `app ${ctx.pod.app} already has ${n} pods on the node (limit ${max})` : null;
  },
};
