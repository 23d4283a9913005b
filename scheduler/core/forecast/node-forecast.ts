// A node's forecast of online-side usage (online pods, system pods, the OS) for every 15-minute slot
// of the coming 24 hours, with an upper band:
//
//   online(k) = sum over apps a of n_a(k) x mean_a(k)         apps with a learned curve (app-curves.ts)
//             + requests of the tenants whose app has none     cold start: requests, as today
//   var(k)    = sum over apps a of (n_a(k) x sd_a(k))^2        correlated within an app, independent across
//   mean(k)   = online(k) + residual
//   upper(k)  = mean(k) + z x sqrt(var(k)) + margin(k)         z = probit(quantile); margin: errors.ts
//
// n_a(k) counts the app's tenants still there in slot k (a pod that leaves, such as a terminating
// one, counts up to its departure). The residual is what the node uses beyond its online tenants'
// curves (system pods, daemons, the OS): the latest observation minus the forecast of slot 0, at
// least 0; with no fresh observation, the system pods' requests.
//
// Profile events (events.ts) replace online(k) and var(k) in the slots they cover: x F for an event
// of the forecast (variance x F^2), F x the tenants' requests for an event of requests (variance 0),
// F being the event's CPU factor for CPU and its memory factor for memory; per resource the largest
// upper value among the candidates counts.

import { probit } from 'simple-statistics';
import { SLOT_MS, SLOTS_PER_DAY, newDayCurve, type AppCurves, type DayCurve } from '../app-curves.ts';
import type { Resources } from '../model.ts';
import type { ForecastErrors } from './errors.ts';
import type { SlotEvents } from './events.ts';

export interface ForecastConfig {
  /** Upper quantile of the band, in (0.5, 1): the band holds usage with this probability if the curves' errors are normal. */
  quantile: number;
}

export const DEFAULT_FORECAST: ForecastConfig = { quantile: 0.95 };

/** Standard deviations above the mean for the quantile (simple-statistics' probit). */
export function zOf(quantile: number): number {
  if (!(quantile > 0.5 && quantile < 1)) throw new Error(`forecast quantile ${quantile} must be in (0.5, 1)`);
  return probit(quantile);
}

/** An online pod on the node, as the forecast counts it. */
export interface ForecastTenant {
  app: string;
  requests: Readonly<Resources>;
  /** When it leaves (ms); Infinity when it stays. */
  leavesAt: number;
}

export interface NodeForecastInput {
  /** The key of the node's forecast errors (its name). */
  key: string;
  /** Start of the first slot (a slot boundary: AppCurves.slotStart(now)). */
  start: number;
  /** Week slot of the first slot (AppCurves.slotOf(now)). */
  epoch: number;
  /** Slots forecast, at most SLOTS_PER_DAY. */
  slots: number;
  tenants: readonly ForecastTenant[];
  /** Requests of the node's system pods (the residual when there is no observation). */
  system: Readonly<Resources>;
  /** The node's online-side usage now (a fresh sample, plus pods bound since at their requests), or null. */
  observed: Readonly<Resources> | null;
  events: SlotEvents | null;
}

/** A node's forecast: its shape (below; the means here include the residual) anchored on the observation. */
export interface NodeForecast extends ForecastShape {
  readonly key: string;
  readonly start: number;
  readonly z: number;
  readonly upperCpu: Float64Array;
  readonly upperMem: Float64Array;
  readonly residual: Readonly<Resources>;
  readonly events: SlotEvents | null;
}

/** The per-pod day curve of an app (indexed by slot of day), or null when it has none. */
export type CurveSource = (app: string) => DayCurve | null;

/** A CurveSource that compiles each app's curve once from `curves` for the horizon starting at week slot `epoch`. */
export function compiledCurves(curves: AppCurves, epoch: number): CurveSource {
  const cache = new Map<string, DayCurve | null>();
  return (app) => {
    let c = cache.get(app);
    if (c === undefined) {
      const out = newDayCurve();
      c = curves.compile(app, epoch, out) ? out : null;
      cache.set(app, c);
    }
    return c;
  };
}

/**
 * What a node's forecast is before its residual (see the file comment): the means of online(k) as the
 * events leave them, the band's spread and the adaptive margin, per slot. It depends on every input
 * but the observation, which only sets the residual: forecasts of a node between two changes of its
 * tenants, curves, horizon or errors share it (ForecastBook), and differ by the residual alone.
 */
export interface ForecastShape {
  readonly slots: number;
  readonly meanCpu: Float64Array;
  readonly meanMem: Float64Array;
  readonly sdCpu: Float64Array;
  readonly sdMem: Float64Array;
  readonly marginCpu: Float64Array;
  readonly marginMem: Float64Array;
  /** Online tenants counted at their requests (their app has no learned curve yet). */
  readonly coldStart: number;
}

/** The forecast of one node (see the file comment). `errors` null: no adaptive margin. */
export function forecastNode(input: NodeForecastInput, curveOf: CurveSource, z: number, errors: ForecastErrors | null): NodeForecast {
  return anchorForecast(input, forecastShape(input, curveOf, z, errors), z);
}

/** The forecast from its shape (forecastShape of the same input but for `observed`): the residual added. */
export function anchorForecast(input: NodeForecastInput, shape: ForecastShape, z: number): NodeForecast {
  const S = shape.slots;
  const o = input.observed;
  const residual = o ? { cpu: Math.max(0, o.cpu - shape.meanCpu[0]!), memory: Math.max(0, o.memory - shape.meanMem[0]!) } : { cpu: input.system.cpu, memory: input.system.memory };
  const meanCpu = new Float64Array(S);
  const meanMem = new Float64Array(S);
  const upperCpu = new Float64Array(S);
  const upperMem = new Float64Array(S);
  const { sdCpu, sdMem, marginCpu, marginMem } = shape;
  for (let k = 0; k < S; k++) {
    meanCpu[k] = shape.meanCpu[k]! + residual.cpu;
    meanMem[k] = shape.meanMem[k]! + residual.memory;
    upperCpu[k] = meanCpu[k]! + z * sdCpu[k]! + marginCpu[k]!;
    upperMem[k] = meanMem[k]! + z * sdMem[k]! + marginMem[k]!;
  }
  return { key: input.key, start: input.start, slots: S, z, meanCpu, meanMem, sdCpu, sdMem, marginCpu, marginMem, upperCpu, upperMem, residual, coldStart: shape.coldStart, events: input.events };
}

/** The shape of the node's forecast (ForecastShape); `input.observed` is not read. */
export function forecastShape(input: NodeForecastInput, curveOf: CurveSource, z: number, errors: ForecastErrors | null): ForecastShape {
  const S = input.slots;
  if (!(S >= 1 && S <= SLOTS_PER_DAY)) throw new Error(`forecast horizon of ${S} slots must be 1..${SLOTS_PER_DAY}`);
  const baseCpu = new Float64Array(S);
  const baseMem = new Float64Array(S);
  const varCpu = new Float64Array(S);
  const varMem = new Float64Array(S);
  const reqCpu = new Float64Array(S);
  const reqMem = new Float64Array(S);
  const byApp = new Map<string, ForecastTenant[]>();
  for (const t of input.tenants) {
    let l = byApp.get(t.app);
    if (!l) byApp.set(t.app, (l = []));
    l.push(t);
  }
  let coldStart = 0;
  // The slot of day of slot 0 (the fast path below needs a whole week slot, as AppCurves.slotOf gives).
  const e0 = Number.isInteger(input.epoch) && input.epoch >= 0 ? input.epoch % SLOTS_PER_DAY : -1;
  for (const [app, list] of byApp) {
    const c = curveOf(app);
    if (!c) coldStart += list.length;
    // The tenants still there in slot k, and their requests: the same sums in every slot until the
    // first departure (most tenants stay), summed once up to there.
    let stayFrom = S;
    let leaves = Infinity;
    for (const t of list) if (t.leavesAt < leaves) leaves = t.leavesAt;
    let n0 = 0;
    let rc0 = 0;
    let rm0 = 0;
    for (const t of list) {
      n0++;
      rc0 += t.requests.cpu;
      rm0 += t.requests.memory;
    }
    // Slots k whose start is before the first departure count every tenant.
    if (leaves !== Infinity) {
      for (let k = 0; k < S; k++) {
        if (leaves <= input.start + k * SLOT_MS) {
          stayFrom = k;
          break;
        }
      }
    }
    if (stayFrom === S && e0 >= 0) {
      // Every tenant stays over the horizon (the common case): the loop below without its per-slot
      // tests, the same sums in the same order (n x n as n * n, the slot of day without %).
      if (c) {
        const nn = n0 * n0;
        for (let k = 0, d = e0; k < S; k++, d++) {
          if (d === SLOTS_PER_DAY) d = 0;
          reqCpu[k]! += rc0;
          reqMem[k]! += rm0;
          baseCpu[k]! += n0 * c.cpu[d]!;
          baseMem[k]! += n0 * c.memory[d]!;
          varCpu[k]! += nn * c.cpuVar[d]!;
          varMem[k]! += nn * c.memVar[d]!;
        }
      } else {
        for (let k = 0; k < S; k++) {
          reqCpu[k]! += rc0;
          reqMem[k]! += rm0;
          baseCpu[k]! += rc0;
          baseMem[k]! += rm0;
        }
      }
      continue;
    }
    for (let k = 0; k < S; k++) {
      const from = input.start + k * SLOT_MS;
      let n = n0;
      let rc = rc0;
      let rm = rm0;
      if (k >= stayFrom) {
        n = 0;
        rc = 0;
        rm = 0;
        for (const t of list) {
          if (t.leavesAt <= from) continue;
          n++;
          rc += t.requests.cpu;
          rm += t.requests.memory;
        }
      }
      if (n === 0) continue;
      reqCpu[k]! += rc;
      reqMem[k]! += rm;
      if (c) {
        const d = (input.epoch + k) % SLOTS_PER_DAY;
        baseCpu[k]! += n * c.cpu[d]!;
        baseMem[k]! += n * c.memory[d]!;
        varCpu[k]! += n * n * c.cpuVar[d]!;
        varMem[k]! += n * n * c.memVar[d]!;
      } else {
        baseCpu[k]! += rc;
        baseMem[k]! += rm;
      }
    }
  }
  const meanCpu = new Float64Array(S);
  const meanMem = new Float64Array(S);
  const sdCpu = new Float64Array(S);
  const sdMem = new Float64Array(S);
  const pick = (k: number, memory: boolean, base: number, v: number, req: number, mean: Float64Array, sd: Float64Array): void => {
    const ev = input.events?.events[k];
    let bestMean = base;
    let bestSd = Math.sqrt(Math.max(0, v));
    if (ev && ev.length > 0) {
      let best = input.events!.covered[k] ? -Infinity : bestMean + z * bestSd;
      for (const e of ev) {
        const f = memory ? e.memoryFactor : e.factor;
        const m = e.of === 'requests' ? f * req : f * base;
        const s = e.of === 'requests' ? 0 : f * Math.sqrt(Math.max(0, v));
        if (m + z * s > best) {
          best = m + z * s;
          bestMean = m;
          bestSd = s;
        }
      }
    }
    mean[k] = bestMean;
    sd[k] = bestSd;
  };
  for (let k = 0; k < S; k++) {
    pick(k, false, baseCpu[k]!, varCpu[k]!, reqCpu[k]!, meanCpu, sdCpu);
    pick(k, true, baseMem[k]!, varMem[k]!, reqMem[k]!, meanMem, sdMem);
  }
  const marginCpu = new Float64Array(S);
  const marginMem = new Float64Array(S);
  if (errors) {
    const sd: Resources = { cpu: 0, memory: 0 };
    const m: Resources = { cpu: 0, memory: 0 };
    // The key's error statistics do not change while its forecast is made: read them once.
    const stats = errors.stats(input.key);
    for (let k = 0; k < S; k++) {
      sd.cpu = sdCpu[k]!;
      sd.memory = sdMem[k]!;
      errors.marginFrom(stats, sd, z, m);
      marginCpu[k] = m.cpu;
      marginMem[k] = m.memory;
    }
  }
  return { slots: S, meanCpu, meanMem, sdCpu, sdMem, marginCpu, marginMem, coldStart };
}

/** The horizon's slot that contains t, or -1 outside the horizon. */
export function slotAt(f: NodeForecast, t: number): number {
  const k = Math.floor((t - f.start) / SLOT_MS);
  return k >= 0 && k < f.slots ? k : -1;
}

/**
 * How far observed usage at t runs above the forecast's upper band, per resource (0 where within),
 * or null when it is within the band for both or t is outside the horizon: the signal for hot-spot
 * relief to act at once rather than at the next window.
 */
export function aboveBand(f: NodeForecast, t: number, observed: Readonly<Resources>): Resources | null {
  const k = slotAt(f, t);
  if (k < 0) return null;
  const cpu = Math.max(0, observed.cpu - f.upperCpu[k]!);
  const memory = Math.max(0, observed.memory - f.upperMem[k]!);
  return cpu > 0 || memory > 0 ? { cpu, memory } : null;
}
