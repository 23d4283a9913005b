// Refuses a node whose predicted online-side usage plus the pod's estimate would cross the load
// threshold. Only the online side counts: batch usage is not a reason to refuse an online pod, since
// batch yields (the descheduler's hot-spot relief evicts it), and evicting it would not change this verdict.

import { predictedOnline } from '../capacity.ts';
import { memoReason, type FilterPlugin } from '../framework.ts';

export const OnlineLoadThreshold: FilterPlugin = {
  name: 'OnlineLoadThreshold',
  unresolvable: true,
  appliesTo: (ctx) => ctx.pod.class === 'online' && ctx.config.colocation && ctx.config.online.loadThreshold !== null,
  filter(ctx, node) {
    const t = ctx.config.online.loadThreshold!;
    const a = node.spec.allocatable;
    const p = predictedOnline(node, ctx.now, ctx.state.usageConfig);
    if (p.cpu + ctx.estimate.cpu > t.cpu * a.cpu) {
      return memoReason(ctx, 'OnlineLoad/cpu', () => `predicted online cpu usage would exceed the ${(t.cpu * 100).toFixed(0)}% load threshold`);
    }
    if (p.memory + ctx.estimate.memory > t.memory * a.memory) {
      return memoReason(ctx, 'OnlineLoad/memory', () => `predicted online memory usage would exceed the ${(t.memory * 100).toFixed(0)}% load threshold`);
    }
    return null;
  },
};
