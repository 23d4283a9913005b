// Katalyst Tide's node-type selection for the simulator's `katalyst-tide` policy (../peers/katalyst.ts):
// online pods go only to nodes labelled node-type=online, batch (offline) pods only to node-type=offline;
// a node the pool has not classified yet takes neither.

import { memoReason, type FilterPlugin } from '../framework.ts';
import { nodeTypeOf } from '../peers/katalyst.ts';

export const KatalystTideNodeType: FilterPlugin = {
  name: 'KatalystTide',
  unresolvable: true,
  appliesTo: (ctx) => ctx.pod.class !== 'system',
  filter(ctx, i) {
    const want = ctx.pod.class === 'batch' ? 'offline' : 'online';
    if (nodeTypeOf(ctx.nodes[i]!.spec) === want) return null;
    return memoReason(ctx, `Tide/${want}`, () => `not a node-type=${want} node of the tide pool`);
  },
};
