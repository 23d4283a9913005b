// A checkpointable batch pod prefers nodes whose forecast shows no rise during its runtime. With
// ForecastCapacity's checkpointableSpan such a pod is admitted on room over the first part of its span
// only, so it may land where a forecast rise (a tide, an online-demand event, batch committed later)
// will have the forecast drain checkpoint it before it ends. This score says how far into its span it
// would run: of the S slots of its whole span (its remaining runtime: declared, learned or the default;
// at most the 24 h horizon), the first k in which, per resource,
//
//   upper(k) + committed(k) + the pod's own <= allocatable x target       (ForecastCapacity's terms: its
//                                                                        memory request, its CPU by batchCpu)
//
// holds without a break; score 100 x k / S. 100 where it runs to the end, less the sooner a rise cuts
// in. Other batch pods are admitted over their whole span already: the score leaves them alone.
// Reads the engine's forecast book and ForecastCapacity's args (target, defaultRuntime) from the policy.

import { parseDuration } from '../duration.ts';
import { MAX_SCORE, type PodContext, type ScoreDefinition } from '../framework.ts';
import { requestsSig } from '../signatures.ts';
import { forecastBookOf, forecastCapacityArgs, slotsOf, type ForecastCapacityArgs } from './forecast-capacity.ts';

interface Resolved {
  target: number;
  defaultMs: number;
}

export const ForecastSurvival: ScoreDefinition<null> = {
  kind: 'score',
  name: 'ForecastSurvival',
  description: "a checkpointable batch pod prefers nodes where its forecast room lasts its whole runtime (100 x the share of its span before a rise)",
  classes: ['batch'],
  defaults: null,
  create(_args, handle) {
    // The policy's ForecastCapacity args, resolved once per policy config.
    let memo: { config: object; r: Resolved } | null = null;
    const resolved = (ctx: PodContext): Resolved => {
      if (memo?.config !== ctx.config) {
        const a = forecastCapacityArgs(ctx.config);
        memo = { config: ctx.config, r: { target: a.target, defaultMs: parseDuration(a.defaultRuntime) } };
      }
      return memo.r;
    };
    // The engine's one book (ForecastCapacity's): the pod's CPU is counted as the filter counts it.
    const bookOf = (ctx: PodContext) => forecastBookOf(handle, ctx.config.pluginArgs['ForecastCapacity'] as Partial<ForecastCapacityArgs> | undefined);
    return {
      name: 'ForecastSurvival',
      readsPrediction: false,
      signature: (ctx) => `${requestsSig(ctx)}|${bookOf(ctx).podCpu(ctx.state, ctx.pod)}|${ctx.state.curves.slotStart(ctx.now)}|${ctx.state.curves.version}|${slotsOf(ctx, resolved(ctx).defaultMs)}`,
      appliesTo: (ctx) => ctx.pod.class === 'batch' && ctx.pod.checkpointable && ctx.config.colocation,
      score(ctx, i) {
        const { target, defaultMs } = resolved(ctx);
        const book = bookOf(ctx);
        const e = book.forecast(ctx.state, ctx.nodes[i]!, ctx.profile, ctx.now);
        const f = e.forecast;
        const S = Math.min(slotsOf(ctx, defaultMs), f.slots);
        const capCpu = ctx.t.allocCpu[i]! * target - book.podCpu(ctx.state, ctx.pod);
        const capMem = ctx.t.allocMem[i]! * target - ctx.pod.requests.memory;
        let k = 0;
        while (k < S && f.upperCpu[k]! + e.committed.cpu[k]! <= capCpu && f.upperMem[k]! + e.committed.memory[k]! <= capMem) k++;
        return (MAX_SCORE * k) / S;
      },
    };
  },
};
