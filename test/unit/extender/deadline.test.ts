// Deadline awareness: requests queued behind a stalled event loop, or behind slow decisions, are
// answered at once in degraded mode (online open, batch closed with a reason), counted in /metrics,
// and the extender answers in full again as soon as it has caught up.

import { afterEach, describe, expect, it } from 'vitest';
import { DecisionBudget, LoopMonitor } from '../../../scheduler/extender/deadline.ts';
import { OVERLOADED_REASON } from '../../../scheduler/extender/handlers.ts';
import { parseExtenderArgs } from '../../../scheduler/extender/wire.ts';
import { batchPod, extenderArgs, onlinePod, post } from '../../fixtures/extender/payloads.ts';
import { startHardened, type HardenedExtender } from './app.ts';
import { openWarmSockets, readResponses, requestText, stall } from './raw-http.ts';

const names = ['n1', 'n2', 'n3', 'n4', 'n5'];
const nodes = names.map((name) => ({ metadata: { name } }));
const online = () => extenderArgs(onlinePod('web-new', { cpu: '1', memory: '2Gi' }), nodes, true);
const batch = () => extenderArgs(batchPod('etl-new', { 'tidal.io/batch-cpu': '1000', 'tidal.io/batch-memory': '1Gi' }), nodes, true);

describe('LoopMonitor', () => {
  it('reports the stall its ticker saw, for requests read in the next few ticks, then forgets it', () => {
    let t = 0;
    const m = new LoopMonitor({ intervalMs: 10, memoryTicks: 3, now: () => t });
    t = 10;
    m.tick();
    expect(m.unseenWaitMs()).toBe(0);
    // The loop was busy for 300 ms: the next tick runs late...
    t = 320;
    m.tick();
    // ...and requests read in the same iteration, or on connections accepted a tick later, may have waited that long.
    expect(m.unseenWaitMs(321)).toBe(300);
    t = 330;
    m.tick();
    t = 340;
    m.tick();
    expect(m.unseenWaitMs(341)).toBe(300);
    // Three ticks on time clear it.
    t = 350;
    m.tick();
    expect(m.unseenWaitMs(351)).toBe(0);
    // A stall in progress (no tick for 200 ms) counts too.
    expect(m.unseenWaitMs(550)).toBe(190);
    expect(m.takeMaxStall()).toBe(300);
    expect(m.takeMaxStall()).toBe(0);
  });
});

describe('DecisionBudget', () => {
  it('predicts from the median cost per node, so one outlier does not move it', () => {
    const b = new DecisionBudget({ budgetMs: 100, now: () => 0 });
    expect(b.predict('filter', 1000)).toBe(0);
    for (const ms of [1, 1, 1, 50, 1]) b.observe('filter', 1000, ms);
    expect(b.predict('filter', 1000)).toBeCloseTo(1);
    expect(b.predict('filter', 5000)).toBeCloseTo(5);
    expect(b.predict('prioritize', 1000)).toBe(0);
  });

  it('charges small requests as floorNodes nodes, so their fixed cost does not inflate large requests', () => {
    const b = new DecisionBudget({ budgetMs: 500, now: () => 0 });
    // Many 5-node filters at 0.5 ms each: mostly fixed cost.
    for (let i = 0; i < 10; i++) b.observe('filter', 5, 0.5);
    expect(b.predict('filter', 5)).toBeCloseTo(0.5);
    // Per node 0.5/64: a 30,000-node request is predicted at ~234 ms, inside the budget (not 3 s).
    expect(b.predict('filter', 30_000)).toBeCloseTo((0.5 / 64) * 30_000);
    expect(b.check('filter', 30_000, 0).cause).toBeNull();
  });

  it('degrades a request that waited too long, or whose decision would not fit, and probes now and then', () => {
    let now = 1000;
    const b = new DecisionBudget({ budgetMs: 100, now: () => now, probeEveryMs: 1000 });
    expect(b.check('filter', 10, now - 20).cause).toBeNull();
    expect(b.check('filter', 10, now - 100)).toMatchObject({ cause: 'queued', waitedMs: 100 });
    b.observe('filter', 10, 60);
    // 50 ms waited + 60 ms predicted > 100 ms.
    expect(b.check('filter', 10, now - 50).cause).toBe('queued');
    b.observe('filter', 10, 150);
    b.observe('filter', 10, 150);
    // The decision alone is predicted over budget...
    expect(b.check('filter', 10, now).cause).toBe('slow');
    // ...until a second has passed: then one fresh request gets a real decision to re-measure.
    now += 1000;
    expect(b.check('filter', 10, now).cause).toBeNull();
    expect(b.check('filter', 10, now).cause).toBe('slow');
    // Off when 0.
    const off = new DecisionBudget({ budgetMs: 0 });
    expect(off.enabled).toBe(false);
    expect(off.check('filter', 10, -1e9).cause).toBeNull();
    expect(() => new DecisionBudget({ budgetMs: -1 })).toThrow(/decision budget must be >= 0/);
  });
});

describe('degraded answers', () => {
  let ext: HardenedExtender;
  afterEach(() => ext?.close());

  it('pass every node for online pods, fail every node for batch (unresolvable, with a reason), in both modes', async () => {
    ext = await startHardened();
    const h = ext.locals.handlers;
    const on = h.degradedFilter(parseExtenderArgs(online()));
    expect(on).toEqual({ NodeNames: names, Nodes: null, FailedNodes: {}, FailedAndUnresolvableNodes: {}, Error: '' });
    const off = h.degradedFilter(parseExtenderArgs(batch()));
    expect(off.NodeNames).toEqual([]);
    expect(off.FailedAndUnresolvableNodes).toEqual(Object.fromEntries(names.map((n) => [n, OVERLOADED_REASON])));
    const items = Object.values(ext.cluster.nodes);
    const full = h.degradedFilter(parseExtenderArgs(extenderArgs(onlinePod('w', { cpu: '1' }), items, false)));
    expect(full.NodeNames).toBeNull();
    expect(full.Nodes!.items).toEqual(items);
    const fullBatch = h.degradedFilter(parseExtenderArgs(extenderArgs(batchPod('b', { cpu: '1' }), items, false)));
    expect(fullBatch.Nodes!.items).toEqual([]);
    expect(Object.keys(fullBatch.FailedAndUnresolvableNodes)).toEqual(names);
    expect(h.degradedPrioritize(parseExtenderArgs(online()))).toEqual(names.map((Host) => ({ Host, Score: 0 })));
    expect(h.degradedPreempt()).toEqual({ NodeNameToMetaVictims: {} });
  });

  it('follow --online-when-overloaded / --batch-when-overloaded', async () => {
    ext = await startHardened({ whenOverloaded: { online: 'closed', batch: 'open' } });
    const h = ext.locals.handlers;
    expect(h.degradedFilter(parseExtenderArgs(online())).NodeNames).toEqual([]);
    expect(h.degradedFilter(parseExtenderArgs(batch())).NodeNames).toEqual(names);
  });
});

describe('a stalled event loop', () => {
  let ext: HardenedExtender;
  afterEach(() => ext?.close());

  it('answers the requests queued behind it at once, degraded, then decides normally again', async () => {
    ext = await startHardened({ decisionBudgetMs: 100 });
    const sockets = await openWarmSockets(ext.server.port, 8);
    const sentAt: number[] = [];
    const answers = sockets.map((s, i) => {
      const p = readResponses(s, 1, sentAt);
      sentAt.push(performance.now());
      s.write(requestText('/scheduler/filter', JSON.stringify(i % 2 === 0 ? online() : batch())));
      return p;
    });
    // The requests are in the kernel's buffers; the loop is busy for 400 ms (4x the budget).
    stall(400);
    const got = (await Promise.all(answers)).map((r) => r[0]!);
    for (const s of sockets) s.destroy();
    got.forEach((r, i) => {
      expect(r.status).toBe(200);
      if (i % 2 === 0) {
        expect(r.json.NodeNames).toEqual(names);
        expect(r.json.FailedAndUnresolvableNodes).toEqual({});
      } else {
        expect(r.json.NodeNames).toEqual([]);
        expect(r.json.FailedAndUnresolvableNodes.n1).toBe(OVERLOADED_REASON);
      }
    });
    // Answered right after the stall, not one decision after another.
    expect(Math.max(...got.map((r) => r.ms))).toBeLessThan(400 + 150);
    const m = await ext.metrics();
    expect(m).toMatch(/tidal_extender_degraded_answers_total\{verb="filter",class="online",mode="open",cause="queued"\} 4/);
    expect(m).toMatch(/tidal_extender_degraded_answers_total\{verb="filter",class="batch",mode="closed",cause="queued"\} 4/);
    // The stall is over: full decisions again (n3 is cordoned, n4 hot).
    await new Promise((r) => setTimeout(r, 50));
    const after = await post(`${ext.base}/filter`, online());
    expect(after.json.FailedAndUnresolvableNodes.n3).toMatch(/^tidal\/NodeUnschedulable: /);
  });
});

describe('slow decisions', () => {
  let ext: HardenedExtender;
  afterEach(() => ext?.close());

  /** 20 filter requests at once against decisions that take 30 ms each: latencies and answers. */
  async function burst(budgetMs: number): Promise<{ ms: number[]; degraded: number }> {
    ext = await startHardened({ decisionBudgetMs: budgetMs });
    const verdicts = ext.engine.verdicts.bind(ext.engine);
    ext.engine.verdicts = (ctx, nodeNames) => {
      stall(30);
      return verdicts(ctx, nodeNames);
    };
    // Raw sockets, so that all 20 requests are in the kernel before the server reads the first (an
    // in-process fetch would only send the next one when the loop is free: no queue would build up).
    const sockets = await openWarmSockets(ext.server.port, 20);
    const pending = sockets.map((s) => {
      const p = readResponses(s, 1, [performance.now()]);
      s.write(requestText('/scheduler/filter', JSON.stringify(online())));
      return p;
    });
    const rs = (await Promise.all(pending)).map((r) => r[0]!);
    for (const s of sockets) s.destroy();
    for (const r of rs) expect(r.status).toBe(200);
    return { ms: rs.map((r) => r.ms), degraded: rs.filter((r) => r.json.FailedAndUnresolvableNodes.n3 === undefined).length };
  }

  it('keep every answer near the budget instead of queueing 20 x 30 ms', async () => {
    const guarded = await burst(100);
    expect(Math.max(...guarded.ms)).toBeLessThan(300);
    expect(guarded.degraded).toBeGreaterThanOrEqual(10);
    expect(await ext.metrics()).toMatch(/tidal_extender_degraded_answers_total\{verb="filter",class="online",mode="open",cause="queued"\} \d+/);
    await ext.close();
    // Control: without a budget the last answer waits for all the decisions before it.
    const unguarded = await burst(0);
    expect(unguarded.degraded).toBe(0);
    expect(Math.max(...unguarded.ms)).toBeGreaterThan(20 * 30);
  });

  it('degrade a verb whose decisions alone exceed the budget (cause slow)', async () => {
    ext = await startHardened({ decisionBudgetMs: 50 });
    const score = ext.engine.scoreNames.bind(ext.engine);
    ext.engine.scoreNames = (ctx, ns) => {
      stall(80);
      return score(ctx, ns);
    };
    // (Pauses let the loop monitor forget the stalls: a request read right after one is charged it.)
    const settle = () => new Promise((r) => setTimeout(r, 60));
    await settle();
    const first = await post(`${ext.base}/prioritize`, online());
    expect(first.json.some((h: { Score: number }) => h.Score > 0)).toBe(true);
    await settle();
    const second = await post(`${ext.base}/prioritize`, online());
    expect(second.json).toEqual(names.map((Host) => ({ Host, Score: 0 })));
    expect(await ext.metrics()).toMatch(/tidal_extender_degraded_answers_total\{verb="prioritize",class="online",mode="zero",cause="slow"\} 1/);
  });
});
