// A checkpointable batch pod with a declared runtime may be placed where a coming window will evict
// it (it loses little), but prefers nodes where it would run to the end: full score where it fits at
// the worst level of its span (and, with complementary-peak placement on, in every slot of it once
// the node's online tenants follow their learned curves), none where it does not.

import { batchFreeAt } from '../capacity.ts';
import { MAX_SCORE, type ScoreDefinition } from '../framework.ts';
import { levelSig, requestsSig } from '../signatures.ts';
import { curveBatchApplies, curveBatchShortfall, curveSpanSig, podCurvesOf } from './complementary-peak.ts';

export const WindowSurvival: ScoreDefinition<null> = {
  kind: 'score',
  name: 'WindowSurvival',
  description: 'a batch pod with a declared runtime prefers nodes where it would run to the end',
  classes: ['batch'],
  defaults: null,
  create(_args, handle) {
    const curves = podCurvesOf(handle);
    return {
      name: 'WindowSurvival',
      signature: (ctx) => `${requestsSig(ctx)}|${levelSig(handle, ctx.spanLevel)}|${curveBatchApplies(ctx) ? curveSpanSig(ctx) : ''}`,
      appliesTo: (ctx) => ctx.pod.class === 'batch' && ctx.config.colocation && ctx.spanEnd > ctx.now,
      score(ctx, i) {
        const free = batchFreeAt(ctx.t, i, ctx.spanLevel, ctx.scratch);
        const req = ctx.pod.requests;
        if (req.cpu > free.cpu || req.memory > free.memory) return 0;
        return curveBatchApplies(ctx) && curveBatchShortfall(ctx, i, curves) !== 0 ? 0 : MAX_SCORE;
      },
    };
  },
};
