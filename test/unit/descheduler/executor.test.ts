import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { VirtualClock } from '../../../scheduler/core/clock.ts';
import { DEFAULT_PLANNER, type PlannedEviction } from '../../../scheduler/core/descheduling/plan.ts';
import { constantProfile } from '../../../scheduler/core/profile.ts';
import { TokenBucket } from '../../../scheduler/core/rate.ts';
import { ClusterState } from '../../../scheduler/core/state.ts';
import { ProfileTimeline } from '../../../scheduler/core/timeline.ts';
import { Descheduler } from '../../../scheduler/descheduler/descheduler.ts';
import { executePlan, REASON_ANNOTATION } from '../../../scheduler/descheduler/executor.ts';
import { kubeEvictionClient } from '../../../scheduler/descheduler/kube-client.ts';
import { DeschedulerMetrics } from '../../../scheduler/descheduler/metrics.ts';
import { startFakeApi, type FakeApi } from '../../helpers/fake-apiserver.ts';
import { batch, GiB, node, pod } from '../../helpers/core.ts';

const NOW = Date.parse('2026-11-10T12:00:00Z');
const log = pino({ level: 'silent' });

let api: FakeApi;
beforeEach(async () => {
  api = await startFakeApi();
});
afterEach(async () => {
  await api.close();
});

function planned(uid: string, name: string): PlannedEviction {
  return { pod: batch({ uid, name, namespace: 'jobs' }), node: 'n1', reason: 'peak-drain', message: 'Tidal peak drain: test' };
}

describe('executor against an apiserver that answers like the real one', () => {
  it('maps 201, 429, 404, 409 and 500 to outcomes, annotates first and records Events', async () => {
    api.pods.set('jobs/ok', { namespace: 'jobs', name: 'ok', uid: 'u-ok' });
    api.pods.set('jobs/pdb', { namespace: 'jobs', name: 'pdb', uid: 'u-pdb' });
    api.pods.set('jobs/replaced', { namespace: 'jobs', name: 'replaced', uid: 'u-new' });
    api.pods.set('jobs/broken', { namespace: 'jobs', name: 'broken', uid: 'u-broken' });
    api.protectedPods.add('jobs/pdb');
    api.failWith.set('jobs/broken', 500);
    const seen: string[] = [];
    const res = await executePlan([planned('u-ok', 'ok'), planned('u-pdb', 'pdb'), planned('u-gone', 'gone'), planned('u-old', 'replaced'), planned('u-broken', 'broken')], {
      client: kubeEvictionClient(api.kubeConfig, 'test'),
      now: () => NOW,
      onOutcome: (e, outcome, message) => seen.push(`${e.pod.name}:${outcome}:${message}`),
    });
    expect(res.outcomes).toEqual({ evicted: 1, blocked: 1, gone: 1, conflict: 1, error: 1 });
    expect(res.evicted.map((e) => e.pod.name)).toEqual(['ok']);
    expect(api.evictions).toEqual(['jobs/ok']);
    expect(seen.find((s) => s.startsWith('pdb:'))).toMatch(/blocked:HTTP 429: Cannot evict pod as it would violate the pod's disruption budget/);
    expect(seen.find((s) => s.startsWith('replaced:'))).toMatch(/conflict:HTTP 409: .*Precondition failed/);
    expect(api.pods.get('jobs/pdb')!.annotations![REASON_ANNOTATION]).toBe('peak-drain: Tidal peak drain: test');
    expect(api.events.map((e) => `${e.involved}:${e.type}:${e.reason}`).sort()).toEqual(['jobs/ok:Normal:TidalEvicted', 'jobs/pdb:Warning:TidalEvictionBlocked']);
  });

  it('stops when leadership is lost mid-plan', async () => {
    for (const n of ['a', 'b', 'c']) api.pods.set(`jobs/${n}`, { namespace: 'jobs', name: n, uid: `u-${n}` });
    let calls = 0;
    const res = await executePlan([planned('u-a', 'a'), planned('u-b', 'b'), planned('u-c', 'c')], {
      client: kubeEvictionClient(api.kubeConfig, 'test'),
      now: () => NOW,
      stillLeading: () => calls++ < 1,
    });
    expect(res.attempted).toBe(1);
    expect(res.abandoned).toBe(2);
    expect(api.evictions).toEqual(['jobs/a']);
  });
});

describe('descheduler cycle', () => {
  function setup(dryRun: boolean) {
    const state = new ClusterState();
    state.upsertNode(node('n1'), NOW);
    state.upsertPod(pod({ uid: 'web', nodeName: 'n1', requests: { cpu: 4000, memory: 8 * GiB } }), NOW);
    for (let i = 0; i < 4; i++) {
      const b = batch({ uid: `u-b${i}`, name: `b${i}`, namespace: 'jobs', nodeName: 'n1', requests: { cpu: 2000, memory: GiB }, startedAt: NOW - (i + 1) * 60_000 });
      state.upsertPod(b, NOW);
      api.pods.set(`jobs/b${i}`, { namespace: 'jobs', name: `b${i}`, uid: `u-b${i}` });
    }
    const clock = new VirtualClock(NOW);
    const metrics = new DeschedulerMetrics();
    const d = new Descheduler({
      source: { state, isSynced: () => true },
      // capacity min(16*0.25, 16*0.9-4) = 4 cores; batch holds 8 -> two pods of 2 cores must go
      timeline: new ProfileTimeline(constantProfile({ batchShare: 0.25, onlineHeadroom: 0.1 })),
      planner: { ...DEFAULT_PLANNER, hotSpot: null },
      client: dryRun ? null : kubeEvictionClient(api.kubeConfig, 'test'),
      clock,
      rate: new TokenBucket(10, 10),
      elector: null,
      log,
      metrics,
    });
    return { state, d, metrics, clock };
  }

  it('evicts what the plan says once, and does not evict again while the informer catches up', async () => {
    const { d, metrics } = setup(false);
    const first = await d.cycle();
    expect(first.execution!.outcomes.evicted).toBe(2);
    expect(api.evictions).toEqual(['jobs/b0', 'jobs/b1']);
    // The state has not seen the pods leave yet: they are in flight and not evicted twice.
    const second = await d.cycle();
    expect(second.plan!.evictions).toHaveLength(0);
    expect(api.evictions).toHaveLength(2);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/tidal_descheduler_evictions_total\{reason="peak-drain",result="evicted"\} 2/);
    expect(text).toMatch(/tidal_descheduler_cycles_total\{outcome="planned"\} 2/);
  });

  it('changes nothing in dry-run', async () => {
    const { d } = setup(true);
    const r = await d.cycle();
    expect(r.plan!.evictions).toHaveLength(2);
    expect(r.execution).toBeUndefined();
    expect(api.requests).toEqual([]);
  });

  it('skips cycles until synced', async () => {
    const state = new ClusterState();
    const d = new Descheduler({ source: { state, isSynced: () => false }, timeline: new ProfileTimeline(constantProfile({ batchShare: 0, onlineHeadroom: 1 })), planner: DEFAULT_PLANNER, client: null, clock: new VirtualClock(NOW), rate: new TokenBucket(1, 1), elector: null, log });
    expect((await d.cycle()).skipped).toBe('not-synced');
  });
});
