// At most N pods of one online app on a node, so that one node failing or running hot takes out a
// bounded share of a service.

import { memoReason, type FilterPlugin } from '../framework.ts';

export const AppStackingLimit: FilterPlugin = {
  name: 'AppStackingLimit',
  equivalence: 'app',
  unresolvable: true,
  appliesTo: (ctx) => ctx.pod.class === 'online' && ctx.config.online.maxPodsPerAppPerNode > 0,
  filter(ctx, i) {
    const max = ctx.config.online.maxPodsPerAppPerNode;
    if (ctx.nodes[i]!.appCount(ctx.pod.app) < max) return null;
    return memoReason(ctx, 'AppStackingLimit', () => `app ${ctx.pod.app} is at its limit of ${max} pod(s) per node`);
  },
};
