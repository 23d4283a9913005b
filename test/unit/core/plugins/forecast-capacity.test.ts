// ForecastCapacity through the engine, by hand: a node of 10 cores whose online tenant (cold start:
// 4 cores requested, no usage yet) gives an upper band of 4000m; at target 0.9, batch may hold
// 9000 - 4000 = 5000m in every slot of its span, less what batch already holds there.

import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../../profiles/loader.ts';
import { TIME_SHARING, type PolicyConfig } from '../../../../scheduler/core/config.ts';
import { FORECAST_PLANNER, planEvictions } from '../../../../scheduler/core/descheduling/plan.ts';
import { PolicyEngine } from '../../../../scheduler/core/engine.ts';
import { forecastBookOf } from '../../../../scheduler/core/plugins/forecast-capacity.ts';
import type { PodInfo } from '../../../../scheduler/core/model.ts';
import { argsIssues, DEFAULT_FILTERS, filterDefinition } from '../../../../scheduler/core/registry.ts';
import { ClusterState } from '../../../../scheduler/core/state.ts';
import { batch, GiB, node, pod } from '../../../helpers/core.ts';

const T0 = Date.parse('2026-11-11T00:00:00Z');
const MIN = 60_000;
const HEAD = 'apiVersion: tidal.io/v1alpha1\nkind: TimeSharingProfile\nmetadata:\n  name: p\nspec:\n  timeZone: UTC\n  default:\n    batchShare: 1\n    onlineHeadroom: 0\n';
// From 01:00 for 2 h the online side is expected at twice its requests: 8000m.
const EVENT = HEAD + '  windows:\n    - name: sale\n      start: "2026-11-11T01:00"\n      duration: 2h\n      onlineDemand: {factor: 2x, of: requests}\n';

function world(profileText = HEAD, args?: Record<string, unknown>, tenant: PodInfo['class'] = 'online') {
  const config: PolicyConfig = { ...TIME_SHARING, name: 'forecast-test', filters: [...DEFAULT_FILTERS, 'ForecastCapacity'], pluginArgs: { ...TIME_SHARING.pluginArgs, ForecastCapacity: { target: 0.9, admissionMargin: 0, ...args } } };
  const state = new ClusterState(config.usage);
  state.upsertNode(node('n1', { allocatable: { cpu: 10_000, memory: 64 * GiB } }), T0 - 60 * MIN);
  state.upsertPod(pod({ uid: 'web-1', app: 'web', class: tenant, requests: { cpu: 4000, memory: 8 * GiB }, nodeName: 'n1', startedAt: T0 - 60 * MIN }), T0 - 60 * MIN);
  const engine = new PolicyEngine({ config, state, profile: parseProfile(profileText) });
  return { state, engine };
}

const job = (cpu: number, runtimeMin = 0): PodInfo => batch({ requests: { cpu, memory: GiB }, extendedBatchResources: true, expectedRuntimeMs: runtimeMin * MIN });
const placed = (w: ReturnType<typeof world>, p: PodInfo) => {
  const r = w.engine.place(p, T0);
  return { node: r.node?.name ?? null, forecast: r.rejectedBy.get('ForecastCapacity') ?? 0, capacity: r.rejectedBy.get('BatchCapacityFit') ?? 0 };
};

describe('ForecastCapacity', () => {
  it('admits batch up to allocatable x target - upper band, and no more (BatchCapacityFit would take 6000m)', () => {
    const w = world();
    expect(placed(w, job(5000, 30))).toEqual({ node: 'n1', forecast: 0, capacity: 0 });
    expect(placed(w, job(5001, 30))).toEqual({ node: null, forecast: 1, capacity: 0 });
    const ctx = w.engine.context(job(5001, 30), T0);
    expect(w.engine.filter(ctx, ['n1']).feasible).toEqual([]);
  });

  it('batch already on the node counts in the slots it will still be there', () => {
    const w = world();
    w.state.upsertPod({ ...job(3000), uid: 'old', name: 'old', nodeName: 'n1', startedAt: T0 - MIN }, T0 - MIN);
    expect(placed(w, job(2000, 30)).node).toBe('n1');
    expect(placed(w, job(2001, 30)).forecast).toBe(1);
  });

  it('an onlineDemand event counts over the pod\'s runtime, or the default span when it declares none', () => {
    const w = world(EVENT);
    // Before the sale (30 m runtime, or the default 1 h span: slots 00:00-01:00): 5000m.
    expect(placed(w, job(5000, 30)).node).toBe('n1');
    expect(placed(w, job(5000)).node).toBe('n1');
    // A 2 h runtime crosses the sale: 9000 - 8000 = 1000m.
    expect(placed(w, job(1000, 120)).node).toBe('n1');
    expect(placed(w, job(1001, 120)).forecast).toBe(1);
    // A 90 m default span crosses it too.
    expect(placed(world(EVENT, { defaultRuntime: '90m' }), job(1001)).forecast).toBe(1);
    expect(placed(world(EVENT, { target: 1 }), job(2000, 120)).node).toBe('n1');
  });

  it('admits over the slots the commitment will hold: an estimated runtime at least through the slot after now, so the drain never evicts what was just admitted', () => {
    // The sale from 00:15 (slot 1: 1000m free); at 00:01 a 5-minute runtime ends in slot 0.
    const SOON = HEAD + '  windows:\n    - name: sale\n      start: "2026-11-11T00:15"\n      duration: 2h\n      onlineDemand: {factor: 2x, of: requests}\n';
    const at = T0 + MIN;
    const w = world(SOON, { defaultRuntime: '5m' });
    const place = (p: PodInfo) => w.engine.place(p, at);
    // Declared 5 m: held to 00:06, slot 0 only: 5000m.
    expect(place(job(5000, 5)).node?.name).toBe('n1');
    // Estimated 5 m (the default here): the commitment would hold it through 00:16, into the sale: 1000m.
    expect(place(job(1001)).rejectedBy.get('ForecastCapacity')).toBe(1);
    const admitted = place(job(1000));
    expect(admitted.node?.name).toBe('n1');
    // Bound there, the forecast drain (same book, same target) finds no shortfall to evict it for.
    w.state.upsertPod({ ...job(1000), uid: 'admitted', name: 'admitted', nodeName: 'n1', startedAt: at }, at);
    const book = forecastBookOf(w.engine.handle, { target: 0.9, defaultRuntime: '5m' });
    const plan = planEvictions({ state: w.state, timeline: w.engine.timeline, now: at, config: { ...FORECAST_PLANNER, drain: false, hotSpot: null, forecast: { target: 0.9, leadSlots: 2 } }, rateBudget: Infinity, hotStreaks: new Map(), book });
    expect(plan.evictions).toEqual([]);
  });

  it('admissionMargin: admits up to allocatable x (target - margin); the drain, at the target, leaves a node there through a rise smaller than the margin', () => {
    const w = world(HEAD, { admissionMargin: 0.1 }); // 10 cores x 0.8 = 8000 - 4000 = 4000m
    expect(w.engine.place(job(4001, 30), T0).rejectedBy.get('ForecastCapacity')).toBe(1);
    expect(w.engine.place(job(4000, 30), T0).node?.name).toBe('n1');
    w.state.upsertPod({ ...job(4000, 30), uid: 'b', name: 'b', nodeName: 'n1', startedAt: T0 }, T0);
    const drain = (now: number) =>
      planEvictions({ state: w.state, timeline: w.engine.timeline, now, config: { ...FORECAST_PLANNER, drain: false, hotSpot: null, forecast: { target: 0.9, leadSlots: 2 } }, rateBudget: Infinity, hotStreaks: new Map(), book: forecastBookOf(w.engine.handle) }).evictions.length;
    expect(drain(T0)).toBe(0);
    // The online side rises 900m above its requests: 4900 + 4000 = 8900 <= 9000, still no drain...
    w.state.recordNodeUsage('n1', { time: T0 + MIN, online: { cpu: 4900, memory: 8 * GiB }, batch: { cpu: 4000, memory: GiB } });
    expect(drain(T0 + 2 * MIN)).toBe(0);
    // ...1100m above: 9100 > 9000, the pod goes.
    w.state.recordNodeUsage('n1', { time: T0 + 3 * MIN, online: { cpu: 5100, memory: 8 * GiB }, batch: { cpu: 4000, memory: GiB } });
    expect(drain(T0 + 4 * MIN)).toBe(1);
    expect(argsIssues(filterDefinition('ForecastCapacity')!, { target: 0.5, admissionMargin: 0.5 }).map((i) => i.message)).toEqual(['must be a number in [0, target 0.5) (got 0.5)']);
  });

  it('usage above requests raises the band (the residual)', () => {
    const w = world();
    // The node uses 6000m on the online side (web 4000m requested, still cold: the rest is residual).
    w.state.recordNodeUsage('n1', { time: T0 - MIN, online: { cpu: 6000, memory: 8 * GiB }, batch: { cpu: 0, memory: 0 } });
    expect(placed(w, job(3000, 30)).node).toBe('n1');
    expect(placed(w, job(3001, 30)).forecast).toBe(1);
  });

  it('a forecast that keeps running low widens the band by its bias once enough slots are seen (adaptive margin)', () => {
    // A system tenant: no app curve is learned, so the forecast is its residual alone (the observation).
    const w = world(HEAD, undefined, 'system');
    const fits = (cpu: number, now: number) => w.engine.place(job(cpu, 30), now).node !== null;
    // Online usage rises 500m a slot: each slot's observation is 500m above what the forecast made a slot earlier said.
    let now = T0;
    for (let k = 0; k <= 6; k++) {
      now = T0 + k * 15 * MIN;
      w.state.recordNodeUsage('n1', { time: now, online: { cpu: 4000 + 500 * k, memory: 8 * GiB }, batch: { cpu: 0, memory: 0 } });
      fits(1, now + MIN); // a decision: the node's forecast is remade and its newest sample fed
      if (k === 3) expect(fits(2000, now + MIN)).toBe(true); // 3 slots folded: no margin yet: 9000 - 5500 = 3500m free
    }
    // Now 7000m observed (residual 3000), 5 slots folded with error +500: margin 500, upper 7500, free 1500.
    expect(fits(1500, now + MIN)).toBe(true);
    expect(fits(1501, now + MIN)).toBe(false);
  });

  it('checkpointableSpan: a checkpointable pod needs room over that much of its span only (it may cross a rise)', () => {
    const ckpt = (cpu: number, runtimeMin: number): PodInfo => ({ ...job(cpu, runtimeMin), checkpointable: true });
    // 2 h from 00:00 crosses the sale (01:00-03:00, 1000m free): refused by default, checkpointable or not.
    expect(placed(world(EVENT), ckpt(3000, 120)).forecast).toBe(1);
    // With checkpointableSpan 30m: room over 00:00-00:30 (5000m) is enough for a checkpointable pod...
    const w = world(EVENT, { checkpointableSpan: '30m' });
    expect(placed(w, ckpt(5000, 120)).node).toBe('n1');
    expect(placed(w, ckpt(5001, 120)).forecast).toBe(1);
    // ...not for any other pod, nor for one whose span runs into the sale within the 30 m (at 00:45: 00:45-01:15).
    expect(placed(w, job(3000, 120)).forecast).toBe(1);
    expect(w.engine.place(ckpt(1001, 120), T0 + 45 * MIN).rejectedBy.get('ForecastCapacity')).toBe(1);
    expect(argsIssues(filterDefinition('ForecastCapacity')!, { checkpointableSpan: 'soon' }).map((i) => i.path.join('.'))).toEqual(['checkpointableSpan']);
    expect(argsIssues(filterDefinition('ForecastCapacity')!, { checkpointableSpan: '' })).toEqual([]);
  });

  it('is registered but in no shipped policy, and checks its args', () => {
    const d = filterDefinition('ForecastCapacity')!;
    expect(d.kind).toBe('filter');
    expect(DEFAULT_FILTERS).not.toContain('ForecastCapacity');
    expect(TIME_SHARING.filters).not.toContain('ForecastCapacity');
    expect(argsIssues(d, { target: 1.5, quantile: 0.3, defaultRuntime: 'later', extra: 1 }).map((i) => i.path.join('.'))).toEqual(['extra', 'target', 'quantile', 'defaultRuntime']);
    expect(argsIssues(d, { target: 0.8, quantile: 0.99, defaultRuntime: '2h' })).toEqual([]);
  });
});
