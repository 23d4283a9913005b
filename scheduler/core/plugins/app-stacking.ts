// At most N pods of one online app on a node, so that one node failing or running hot takes out a
// bounded share of a service. Evicting cannot help: Tidal never evicts online pods.

import { failWith, type ArgsIssue, type FilterDefinition } from '../framework.ts';

export interface AppStackingArgs {
  /** At most this many pods of one app on a node; 0 means no limit. */
  maxPodsPerAppPerNode: number;
}

export function validateAppStackingArgs(args: unknown): ArgsIssue[] {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return [{ path: [], message: 'must be a mapping with maxPodsPerAppPerNode' }];
  const issues: ArgsIssue[] = [];
  const m = (args as Record<string, unknown>).maxPodsPerAppPerNode;
  if (m !== undefined && !(typeof m === 'number' && Number.isInteger(m) && m >= 0)) issues.push({ path: ['maxPodsPerAppPerNode'], message: `must be a non-negative integer (0: no limit) (got ${JSON.stringify(m)})` });
  return issues;
}

export const AppStackingLimit: FilterDefinition<AppStackingArgs> = {
  kind: 'filter',
  name: 'AppStackingLimit',
  description: 'at most N pods of one online app per node',
  defaults: { maxPodsPerAppPerNode: 0 },
  fields: ['maxPodsPerAppPerNode'],
  validate: validateAppStackingArgs,
  create: ({ maxPodsPerAppPerNode: max }) => ({
    name: 'AppStackingLimit',
    signature: (ctx) => ctx.pod.app,
    appliesTo: (ctx) => ctx.pod.class === 'online' && max > 0,
    filter(ctx, i) {
      if (ctx.nodes[i]!.appCount(ctx.pod.app) < max) return null;
      return failWith(ctx, 'AppStackingLimit', '', true, () => `app ${ctx.pod.app} is at its limit of ${max} pod(s) per node`);
    },
  }),
};
