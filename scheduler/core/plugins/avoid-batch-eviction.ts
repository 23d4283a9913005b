// Online pods prefer nodes where they fit without pushing batch over its capacity, so that placing
// them evicts nothing. Where batch would have to give way, the score falls with the share of the node
// that must be freed, and stays below every node that needs no eviction.

import { capacityAt } from '../capacity.ts';
import { MAX_SCORE, type ScoreDefinition } from '../framework.ts';
import { estimateSig, levelSig } from '../signatures.ts';

export const AvoidBatchEviction: ScoreDefinition<null> = {
  kind: 'score',
  name: 'AvoidBatchEviction',
  description: 'online pods prefer nodes where they push no batch over its capacity',
  classes: ['online'],
  defaults: null,
  create: (_args, handle) => ({
    name: 'AvoidBatchEviction',
    signature: (ctx) => `${estimateSig(ctx)}|${levelSig(handle, ctx.level)}`,
    appliesTo: (ctx) => ctx.pod.class === 'online' && ctx.config.colocation,
    score(ctx, i) {
      const t = ctx.t;
      const bCpu = t.batchCpu[i]!;
      const bMem = t.batchMem[i]!;
      if (bCpu === 0 && bMem === 0) return MAX_SCORE;
      // Batch capacity once the pod's usage joins the node's predicted online usage.
      const cap = capacityAt(t, i, ctx.level, t.predCpu[i]!, t.predMem[i]!, ctx.scratch2, ctx.estimate.cpu, ctx.estimate.memory);
      const excess = Math.max((bCpu - cap.cpu) / t.allocCpu[i]!, (bMem - cap.memory) / t.allocMem[i]!);
      if (excess <= 0) return MAX_SCORE;
      return (MAX_SCORE / 2) * Math.max(0, 1 - excess);
    },
  }),
};
