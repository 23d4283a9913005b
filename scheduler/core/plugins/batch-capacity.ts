// A batch pod needs free batch capacity (capacity.ts). A non-checkpointable pod that declares its
// runtime needs it at the worst level of every window it would cross, so that it is not placed where a
// coming window would evict it; other batch pods need it now. With complementary-peak placement on,
// such a pod also needs it in every slot of its runtime once the node's online tenants follow their
// learned curves (complementary-peak.ts), so that a tenant's coming peak does not squeeze it out.

import { batchFreeAt } from '../capacity.ts';
import { memoReason, type FilterPlugin, type PodContext } from '../framework.ts';
import { formatDuration } from '../duration.ts';
import { curveBatchApplies, curveBatchShortfall } from './complementary-peak.ts';

function levelNote(ctx: PodContext): string {
  const w = ctx.level.segment.window?.name ?? 'default';
  if (ctx.mustHoldSpan) {
    return ` over its ${formatDuration(ctx.spanEnd - ctx.now)} runtime (worst batchShare ${ctx.spanLevel.batchShare.toFixed(2)}, headroom ${ctx.spanLevel.onlineHeadroom.toFixed(2)})`;
  }
  const drain = ctx.level.drainingFor ? `, draining for ${ctx.level.drainingFor.window?.name ?? 'default'}` : '';
  return ` in window ${w} (batchShare ${ctx.level.batchShare.toFixed(2)}, headroom ${ctx.level.onlineHeadroom.toFixed(2)}${drain})`;
}

export const BatchCapacityFit: FilterPlugin = {
  name: 'BatchCapacityFit',
  equivalence: 'shape',
  unresolvable: true,
  appliesTo: (ctx) => ctx.pod.class === 'batch' && ctx.config.colocation,
  filter(ctx, i) {
    const free = batchFreeAt(ctx.t, i, ctx.mustHoldSpan ? ctx.spanLevel : ctx.level, ctx.scratch);
    const req = ctx.pod.requests;
    if (req.cpu > free.cpu) return memoReason(ctx, 'BatchCapacity/cpu', () => `not enough batch cpu${levelNote(ctx)}`);
    if (req.memory > free.memory) return memoReason(ctx, 'BatchCapacity/memory', () => `not enough batch memory${levelNote(ctx)}`);
    if (ctx.mustHoldSpan && curveBatchApplies(ctx)) {
      const r = curveBatchShortfall(ctx, i);
      if (r !== 0) {
        const res = r === 1 ? 'cpu' : 'memory';
        return memoReason(ctx, res === 'cpu' ? 'BatchCapacity/curve/cpu' : 'BatchCapacity/curve/memory', () => `not enough batch ${res} over its ${formatDuration(ctx.spanEnd - ctx.now)} runtime once the node's online tenants reach their predicted peaks (usage curves)`);
      }
    }
    return null;
  },
};
