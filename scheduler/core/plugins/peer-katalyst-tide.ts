// Katalyst Tide's node-type selection for the simulator's `katalyst-tide` policy (../peers/katalyst.ts):
// online pods go only to nodes labelled node-type=online, batch (offline) pods only to node-type=offline;
// a node the pool has not classified yet takes neither.

import { failWith, statelessFilter } from '../framework.ts';
import { nodeTypeOf } from '../peers/katalyst.ts';

export const KatalystTideNodeType = statelessFilter('KatalystTide', "Katalyst Tide: online pods on node-type=online nodes, batch on node-type=offline", {
  name: 'KatalystTide',
  appliesTo: (ctx) => ctx.pod.class !== 'system',
  filter(ctx, i) {
    const want = ctx.pod.class === 'batch' ? 'offline' : 'online';
    if (nodeTypeOf(ctx.nodes[i]!.spec) === want) return null;
    return failWith(ctx, 'KatalystTide', want, true, () => `not a node-type=${want} node of the tide pool`);
  },
});
