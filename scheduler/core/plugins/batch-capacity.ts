// A batch pod needs free batch capacity (capacity.ts). A non-checkpointable pod that declares its
// runtime needs it at the worst level of every window it would cross, so that it is not placed where a
// coming window would evict it; other batch pods need it now. With complementary-peak placement on,
// such a pod also needs it in every slot of its runtime once the node's online tenants follow their
// learned curves (complementary-peak.ts), so that a tenant's coming peak does not squeeze it out.

import { batchFreeAt } from '../capacity.ts';
import { failWith, type FilterDefinition, type PluginHandle, type PodContext } from '../framework.ts';
import type { Level } from '../profile.ts';
import { levelSig, requestsSig } from '../signatures.ts';
import { formatDuration } from '../duration.ts';
import { curveBatchApplies, curveBatchShortfall, curveSpanSig, podCurvesOf } from './complementary-peak.ts';

function levelNote(ctx: PodContext): string {
  const w = ctx.level.segment.window?.name ?? 'default';
  if (ctx.mustHoldSpan) {
    return ` over its ${formatDuration(ctx.spanEnd - ctx.now)} runtime (worst batchShare ${ctx.spanLevel.batchShare.toFixed(2)}, headroom ${ctx.spanLevel.onlineHeadroom.toFixed(2)})`;
  }
  const drain = ctx.level.drainingFor ? `, draining for ${ctx.level.drainingFor.window?.name ?? 'default'}` : '';
  return ` in window ${w} (batchShare ${ctx.level.batchShare.toFixed(2)}, headroom ${ctx.level.onlineHeadroom.toFixed(2)}${drain})`;
}

/**
 * What the verdict reads of the pod and the time: its requests, the level it is held to, and its span
 * over the curves. (Reasons are built per decision, never cached, so what they name is not signed.)
 */
function signature(handle: PluginHandle, ctx: PodContext): string {
  const l = ctx.mustHoldSpan ? ctx.spanLevel : ctx.level;
  const curve = ctx.mustHoldSpan && curveBatchApplies(ctx) ? curveSpanSig(ctx) : '';
  return `${requestsSig(ctx)}|${levelSig(handle, l)}|${ctx.mustHoldSpan ? 1 : 0}|${curve}`;
}

export const BatchCapacityFit: FilterDefinition<null> = {
  kind: 'filter',
  name: 'BatchCapacityFit',
  description: 'a batch pod needs free batch capacity now, or over its declared runtime when it cannot checkpoint',
  defaults: null,
  create(_args, handle) {
    const curves = podCurvesOf(handle);
    return {
      name: 'BatchCapacityFit',
      signature: (ctx) => signature(handle, ctx),
      appliesTo: (ctx) => ctx.pod.class === 'batch' && ctx.config.colocation,
      filter(ctx, i) {
        const free = batchFreeAt(ctx.t, i, ctx.mustHoldSpan ? ctx.spanLevel : ctx.level, ctx.scratch);
        const req = ctx.pod.requests;
        if (req.cpu > free.cpu) return failWith(ctx, 'BatchCapacityFit', 'cpu', true, () => `not enough batch cpu${levelNote(ctx)}`);
        if (req.memory > free.memory) return failWith(ctx, 'BatchCapacityFit', 'memory', true, () => `not enough batch memory${levelNote(ctx)}`);
        if (ctx.mustHoldSpan && curveBatchApplies(ctx)) {
          const r = curveBatchShortfall(ctx, i, curves);
          if (r !== 0) {
            const res = r === 1 ? 'cpu' : 'memory';
            return failWith(ctx, 'BatchCapacityFit', `curve/${res}`, true, () => `not enough batch ${res} over its ${formatDuration(ctx.spanEnd - ctx.now)} runtime once the node's online tenants reach their predicted peaks (usage curves)`);
          }
        }
        return null;
      },
      // batchFreeAt at now's level. A pod held to its span's level gets no more: its share is no higher
      // and its headroom no lower (the span includes now), and its model is now's or, where the span
      // crosses a change of model, none (timeline.ts over), hence also the level without its model.
      bound(q) {
        if (q.cls !== 'batch' || !q.config.colocation) return null;
        const t = q.t;
        const level = q.level;
        const bare: Level | null = q.config.batch.durationAware && level.model !== undefined ? { batchShare: level.batchShare, onlineHeadroom: level.onlineHeadroom } : null;
        const other = { cpu: 0, memory: 0 };
        return (i, out) => {
          batchFreeAt(t, i, level, out);
          if (bare === null) return;
          batchFreeAt(t, i, bare, other);
          if (other.cpu > out.cpu) out.cpu = other.cpu;
          if (other.memory > out.memory) out.memory = other.memory;
        };
      },
    };
  },
};
