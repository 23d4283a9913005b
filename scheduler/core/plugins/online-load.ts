// Refuses a node whose predicted online-side usage plus the pod's estimate would cross the load
// threshold. Only the online side counts: batch usage is not a reason to refuse an online pod, since
// batch yields (the descheduler's hot-spot relief evicts it), and evicting it would not change this
// verdict (unresolvable). Off without co-location (kube-default reads requests only).

import { failWith, type ArgsIssue, type FilterDefinition } from '../framework.ts';
import type { Resources } from '../model.ts';
import { estimateSig } from '../signatures.ts';

/** Fractions of allocatable; null turns the filter off. */
export type OnlineLoadArgs = Resources | null;

export function validateOnlineLoadArgs(args: unknown): ArgsIssue[] {
  if (args === null) return [];
  if (typeof args !== 'object' || Array.isArray(args)) return [{ path: [], message: 'must be {cpu, memory} fractions of allocatable, or null to disable' }];
  const issues: ArgsIssue[] = [];
  for (const r of ['cpu', 'memory'] as const) {
    const v = (args as Record<string, unknown>)[r];
    if (v !== undefined && !(typeof v === 'number' && v > 0 && v <= 1)) issues.push({ path: [r], message: `must be a fraction of allocatable in (0, 1], e.g. 0.9 (got ${JSON.stringify(v)})` });
  }
  return issues;
}

export const OnlineLoadThreshold: FilterDefinition<OnlineLoadArgs> = {
  kind: 'filter',
  name: 'OnlineLoadThreshold',
  description: "refuses a node where predicted online-side usage plus the pod's estimate would cross a fraction of allocatable",
  defaults: { cpu: 0.9, memory: 0.95 },
  fields: ['cpu', 'memory'],
  validate: validateOnlineLoadArgs,
  create: (th) => ({
    name: 'OnlineLoadThreshold',
    signature: estimateSig,
    appliesTo: (ctx) => ctx.pod.class === 'online' && ctx.config.colocation && th !== null,
    filter(ctx, i) {
      const t = ctx.t;
      if (t.predCpu[i]! + ctx.estimate.cpu > th!.cpu * t.allocCpu[i]!) {
        return failWith(ctx, 'OnlineLoadThreshold', 'cpu', true, () => `predicted online cpu usage would exceed the ${(th!.cpu * 100).toFixed(0)} percent load threshold`);
      }
      if (t.predMem[i]! + ctx.estimate.memory > th!.memory * t.allocMem[i]!) {
        return failWith(ctx, 'OnlineLoadThreshold', 'memory', true, () => `predicted online memory usage would exceed the ${(th!.memory * 100).toFixed(0)} percent load threshold`);
      }
      return null;
    },
  }),
};
