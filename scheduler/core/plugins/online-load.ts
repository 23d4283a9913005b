// Refuses a node whose predicted online-side usage plus the pod's estimate would cross the load
// threshold. Only the online side counts: batch usage is not a reason to refuse an online pod, since
// batch yields (the descheduler's hot-spot relief evicts it), and evicting it would not change this verdict.

import { memoReason, type FilterPlugin } from '../framework.ts';

export const OnlineLoadThreshold: FilterPlugin = {
  name: 'OnlineLoadThreshold',
  equivalence: 'shape',
  unresolvable: true,
  appliesTo: (ctx) => ctx.pod.class === 'online' && ctx.config.colocation && ctx.config.online.loadThreshold !== null,
  filter(ctx, i) {
    const th = ctx.config.online.loadThreshold!;
    const t = ctx.t;
    if (t.predCpu[i]! + ctx.estimate.cpu > th.cpu * t.allocCpu[i]!) {
      return memoReason(ctx, 'OnlineLoad/cpu', () => `predicted online cpu usage would exceed the ${(th.cpu * 100).toFixed(0)} percent load threshold`);
    }
    if (t.predMem[i]! + ctx.estimate.memory > th.memory * t.allocMem[i]!) {
      return memoReason(ctx, 'OnlineLoad/memory', () => `predicted online memory usage would exceed the ${(th.memory * 100).toFixed(0)} percent load threshold`);
    }
    return null;
  },
};
