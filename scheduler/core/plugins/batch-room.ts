// Batch pods prefer nodes with the most batch capacity left after placement, at the worst level of
// their runtime span: the fuller a node's batch share, the likelier a drain or hot spot evicts from it.

import { batchFreeAt } from '../capacity.ts';
import { weightedScore, type ScoreDefinition } from '../framework.ts';
import { levelSig, requestsSig } from '../signatures.ts';

export const BatchRoom: ScoreDefinition<null> = {
  kind: 'score',
  name: 'BatchRoom',
  description: 'batch pods prefer the node with the most batch capacity left after placement, at the worst level of their runtime',
  classes: ['batch'],
  defaults: null,
  create: (_args, handle) => ({
    name: 'BatchRoom',
    signature: (ctx) => `${requestsSig(ctx)}|${levelSig(handle, ctx.spanLevel)}`,
    appliesTo: (ctx) => ctx.pod.class === 'batch' && ctx.config.colocation,
    score(ctx, i) {
      const t = ctx.t;
      const free = batchFreeAt(t, i, ctx.spanLevel, ctx.scratch);
      const req = ctx.pod.requests;
      return weightedScore((free.cpu - req.cpu) / t.allocCpu[i]!, (free.memory - req.memory) / t.allocMem[i]!, ctx.config.resourceWeights);
    },
  }),
};
