// A checkpointable batch pod with a declared runtime may be placed where a coming window will evict
// it (it loses little), but prefers nodes where it would run to the end: full score where it fits at
// the worst level of its span (and, with complementary-peak placement on, in every slot of it once
// the node's online tenants follow their learned curves), none where it does not.

import { batchFreeAt } from '../capacity.ts';
import { MAX_SCORE, type ScorePlugin } from '../framework.ts';
import { curveBatchApplies, curveBatchShortfall } from './complementary-peak.ts';

export const WindowSurvival: ScorePlugin = {
  name: 'WindowSurvival',
  equivalence: 'shape',
  appliesTo: (ctx) => ctx.pod.class === 'batch' && ctx.config.colocation && ctx.spanEnd > ctx.now,
  score(ctx, i) {
    const free = batchFreeAt(ctx.t, i, ctx.spanLevel, ctx.scratch);
    const req = ctx.pod.requests;
    if (req.cpu > free.cpu || req.memory > free.memory) return 0;
    return curveBatchApplies(ctx) && curveBatchShortfall(ctx, i) !== 0 ? 0 : MAX_SCORE;
  },
};
