// Descheduler faults against the fake apiserver: apiserver errors and timeouts in the middle of a
// cycle, a ledger (Lease) that cannot be read or written, and a process that dies in the middle of a
// drain and is restarted (or replaced by another leader, or re-run as a CronJob). In every case the
// evictions in the rate window stay within what the limits allow.

import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../scheduler/core/clock.ts';
import { DEFAULT_PLANNER } from '../../../scheduler/core/descheduling/plan.ts';
import { constantProfile } from '../../../scheduler/core/profile.ts';
import { TokenBucket } from '../../../scheduler/core/rate.ts';
import { ClusterState } from '../../../scheduler/core/state.ts';
import { ProfileTimeline } from '../../../scheduler/core/timeline.ts';
import { Descheduler } from '../../../scheduler/descheduler/descheduler.ts';
import type { EvictionClient } from '../../../scheduler/descheduler/executor.ts';
import { kubeEvictionClient } from '../../../scheduler/descheduler/kube-client.ts';
import { kubeLeaseStore } from '../../../scheduler/kube/lease-store.ts';
import { LeaderElector, type LeaseStore } from '../../../scheduler/kube/leader.ts';
import { EvictionLedger, formatLedger, LEDGER_ANNOTATION, LedgerUnavailable, parseLedger, replay } from '../../../scheduler/descheduler/ledger.ts';
import { DeschedulerMetrics } from '../../../scheduler/descheduler/metrics.ts';
import { startFakeApi, type FakeApi } from '../../helpers/fake-apiserver.ts';
import { batch, GiB, node, pod } from '../../helpers/core.ts';

const NOW = Date.parse('2026-11-10T12:00:00Z');
const log = pino({ level: 'silent' });
const LEASE = { leaseName: 'tidal-descheduler', namespace: 'tidal-system' };
/** The rate limit of these tests: a burst of 8, then 1 per minute. */
const RATE = { perMinute: 1, burst: 8 };

let api: FakeApi;
beforeEach(async () => {
  api = await startFakeApi();
});
afterEach(async () => {
  await api.close();
});

const never = <T,>(): Promise<T> => new Promise<T>(() => {});

/** An EvictionClient whose calls fail, hang or "crash" (hang forever) on demand. */
function faulty(inner: EvictionClient, f: { hangEvictAfter?: number; hangEvict?: Set<string>; throwAnnotate?: Set<string> } = {}): EvictionClient & { evictCalls: number } {
  const c = {
    evictCalls: 0,
    async evict(p: Parameters<EvictionClient['evict']>[0]) {
      c.evictCalls++;
      if (f.hangEvictAfter !== undefined && c.evictCalls > f.hangEvictAfter) return never<never>();
      if (f.hangEvict?.has(p.name)) {
        // The apiserver evicts, but the answer never arrives (a timeout from the client's side).
        void inner.evict(p);
        return never<never>();
      }
      return inner.evict(p);
    },
    async annotate(p: Parameters<EvictionClient['annotate']>[0], a: Record<string, string>) {
      if (f.throwAnnotate?.has(p.name)) throw Object.assign(new Error('etcdserver: request timed out'), { code: 500 });
      return inner.annotate(p, a);
    },
    event: inner.event.bind(inner),
  };
  return c;
}

/** A LeaseStore that fails (or hangs) its calls while `down` is set. */
function flakyStore(inner: LeaseStore): LeaseStore & { down: 'error' | 'hang' | null; conflictsLeft: number } {
  const s = {
    down: null as 'error' | 'hang' | null,
    conflictsLeft: 0,
    async get() {
      if (s.down === 'hang') return never<never>();
      if (s.down === 'error') throw Object.assign(new Error('HTTP 500: etcdserver: leader changed'), { code: 500 });
      return inner.get();
    },
    create: (l: Parameters<LeaseStore['create']>[0]) => inner.create(l),
    async replace(l: Parameters<LeaseStore['replace']>[0]) {
      if (s.down === 'error') throw Object.assign(new Error('HTTP 503'), { code: 503 });
      if (s.conflictsLeft > 0) {
        s.conflictsLeft--;
        // Someone else (the elector renewing) updated the Lease meanwhile.
        const cur = (await inner.get())!;
        await inner.replace({ ...cur, spec: { ...cur.spec, renewTime: cur.spec?.renewTime } });
      }
      return inner.replace(l);
    },
  };
  return s;
}

/**
 * `nodes` nodes with 4 batch pods of 2 cores each and a level that leaves room for 2: the drain needs
 * 2 evictions per node. The planner's own limits are generous: the rate limit is what binds.
 */
function cluster(nodes: number) {
  const state = new ClusterState();
  for (let n = 0; n < nodes; n++) {
    const name = `n${n}`;
    state.upsertNode(node(name), NOW - 3_600_000);
    state.upsertPod(pod({ uid: `web-${n}`, nodeName: name, requests: { cpu: 4000, memory: 8 * GiB } }), NOW);
    for (let i = 0; i < 4; i++) {
      const b = batch({ uid: `u-${n}-${i}`, name: `b-${n}-${i}`, namespace: 'jobs', nodeName: name, requests: { cpu: 2000, memory: GiB }, startedAt: NOW - (i + 1) * 60_000 });
      state.upsertPod(b, NOW);
      api.pods.set(`jobs/b-${n}-${i}`, { namespace: 'jobs', name: `b-${n}-${i}`, uid: b.uid });
    }
  }
  return state;
}

/** The informer catching up: pods the fake apiserver evicted leave the state. */
function informerSync(state: ClusterState): void {
  for (const p of [...state.pods.values()]) if (p.class === 'batch' && !api.pods.has(`${p.namespace}/${p.name}`)) state.removePod(p.uid);
}

function descheduler(state: ClusterState, clock: VirtualClock, o: { client?: EvictionClient; ledger?: EvictionLedger | null; identity?: string; callTimeoutMs?: number; metrics?: DeschedulerMetrics } = {}) {
  return new Descheduler({
    source: { state, isSynced: () => true },
    timeline: new ProfileTimeline(constantProfile({ batchShare: 0.25, onlineHeadroom: 0.1 })),
    planner: { ...DEFAULT_PLANNER, hotSpot: null, limits: { maxPerNode: 5, maxPerNamespace: 100, maxTotal: 100 } },
    client: o.client ?? kubeEvictionClient(api.kubeConfig, o.identity ?? 'replica-a'),
    clock,
    rate: new TokenBucket(RATE.perMinute, RATE.burst),
    elector: null,
    log,
    metrics: o.metrics,
    ledger: o.ledger === undefined ? ledgerOf(kubeLeaseStore(api.kubeConfig, LEASE.namespace, LEASE.leaseName), o.identity ?? 'replica-a') : o.ledger,
    callTimeoutMs: o.callTimeoutMs ?? 300,
  });
}

function ledgerOf(store: LeaseStore, identity: string, callTimeoutMs = 300): EvictionLedger {
  return new EvictionLedger(store, { ...LEASE, identity, ...RATE, callTimeoutMs });
}

const settle = () => new Promise((r) => setTimeout(r, 50));

describe('the eviction ledger', () => {
  it('encodes compactly and replays into the token bucket it stands for', () => {
    const entries = [
      { at: NOW, n: 5, open: false, by: 'a' },
      { at: NOW + 60_000, n: 3, open: true, by: 'b' },
    ];
    expect(parseLedger(formatLedger(entries))).toEqual(entries);
    // Full (8) at NOW, -5 = 3; +1 a minute later = 4, -3 = 1; +2 two minutes later = 3.
    expect(replay(entries, 1, 8).available(NOW + 180_000)).toBe(3);
    expect(() => parseLedger('{')).toThrow(LedgerUnavailable);
    expect(() => parseLedger('[[1,-2]]')).toThrow(/bad entry/);
  });

  it('reserves at most what the window has left, through conflicts with the elector renewing the same Lease', async () => {
    const store = flakyStore(kubeLeaseStore(api.kubeConfig, LEASE.namespace, LEASE.leaseName));
    const ledger = ledgerOf(store, 'a');
    const r1 = await ledger.reserve(NOW, 6);
    expect(r1.entry).toMatchObject({ n: 6, open: true });
    expect(await ledger.settle(r1, 4, NOW)).toBe(true);
    store.conflictsLeft = 2;
    const r2 = await ledger.reserve(NOW + 1000, 10);
    expect(r2.entry.n).toBe(4);
    expect(await ledger.available(NOW + 1000)).toBe(0);
    const lease = api.leases.get(`${LEASE.namespace}/${LEASE.leaseName}`)!.body as { metadata: { annotations: Record<string, string> } };
    expect(parseLedger(lease.metadata.annotations[LEDGER_ANNOTATION])).toEqual([
      { at: NOW, n: 4, open: false, by: 'a' },
      { at: NOW + 1000, n: 4, open: true, by: 'a' },
    ]);
    // Entries older than a full refill (8 minutes at 1/minute) no longer count.
    expect(await ledger.available(NOW + 9 * 60_000)).toBe(8);
  });

  it('coexists with leader election on the same Lease', async () => {
    const store = kubeLeaseStore(api.kubeConfig, LEASE.namespace, LEASE.leaseName);
    const clock = new VirtualClock(NOW);
    const elector = new LeaderElector(store, { identity: 'a', ...LEASE, leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }, clock);
    expect(await elector.tryAcquireOrRenew()).toBe(true);
    const ledger = ledgerOf(store, 'a');
    await ledger.reserve(NOW, 3);
    clock.advance(2000);
    expect(await elector.tryAcquireOrRenew()).toBe(true);
    expect(await ledger.available(NOW + 2000)).toBe(5);
    const lease = (await store.get())!;
    expect(lease.spec?.holderIdentity).toBe('a');
  });
});

describe('apiserver faults in the middle of a cycle', () => {
  it('errors and timeouts on some evictions: the cycle ends, counts them, and the next plan adds no extra victims for the same need', async () => {
    const state = cluster(3);
    const clock = new VirtualClock(NOW);
    api.failWith.set('jobs/b-0-0', 500);
    const throwAnnotate = new Set(['b-2-0']);
    const client = faulty(kubeEvictionClient(api.kubeConfig, 'a'), { hangEvict: new Set(['b-1-0']), throwAnnotate });
    const metrics = new DeschedulerMetrics();
    const d = descheduler(state, clock, { client, metrics });
    const first = await d.cycle();
    // 3 nodes x 2 needed = 6 planned (burst 8); 3 of them failed in different ways.
    expect(first.plan!.evictions).toHaveLength(6);
    expect(first.execution!.outcomes).toMatchObject({ evicted: 3, error: 3 });
    await settle();
    // b-1-0 was evicted although its answer never came.
    expect(api.evictions.sort()).toEqual(['jobs/b-0-1', 'jobs/b-1-0', 'jobs/b-1-1', 'jobs/b-2-1']);
    informerSync(state);
    clock.advance(10_000);
    // Within the uncertainty window the pods whose outcome is unknown count as leaving: nothing new.
    const second = await d.cycle();
    expect(second.plan!.evictions).toHaveLength(0);
    // Later, the two that are still running are retried (and nothing more: b-1 already lost its pod).
    clock.advance(60_000);
    api.failWith.clear();
    throwAnnotate.clear();
    const third = await d.cycle();
    expect(third.plan!.evictions.map((e) => e.pod.name).sort()).toEqual(['b-0-0', 'b-2-0']);
    informerSync(state);
    // Per node, exactly the 2 the drain needed.
    const left = [0, 1, 2].map((n) => [...state.pods.values()].filter((p) => p.nodeName === `n${n}` && p.class === 'batch').length);
    expect(left).toEqual([2, 2, 2]);
    expect(await metrics.registry.metrics()).toMatch(/tidal_descheduler_evictions_total\{reason="peak-drain",result="error"\} 3/);
  });

  it('a Lease that cannot be read or written: nothing is evicted, the cycle is skipped and counted', async () => {
    const state = cluster(2);
    const clock = new VirtualClock(NOW);
    const store = flakyStore(kubeLeaseStore(api.kubeConfig, LEASE.namespace, LEASE.leaseName));
    const metrics = new DeschedulerMetrics();
    const d = descheduler(state, clock, { ledger: ledgerOf(store, 'a', 200), metrics });
    await store.create({ metadata: { name: LEASE.leaseName, namespace: LEASE.namespace }, spec: {} });
    for (const mode of ['error', 'hang'] as const) {
      store.down = mode;
      const r = await d.cycle();
      expect(r.skipped).toBe('ledger-unavailable');
    }
    // Reads work, but every write conflicts: still nothing evicted.
    store.down = null;
    store.conflictsLeft = 100;
    expect((await d.cycle()).skipped).toBe('ledger-unavailable');
    expect(api.evictions).toEqual([]);
    expect(api.requests.filter((r) => r.includes('/eviction'))).toEqual([]);
    store.conflictsLeft = 0;
    expect((await d.cycle()).execution!.outcomes.evicted).toBe(4);
    expect(await metrics.registry.metrics()).toMatch(/tidal_descheduler_cycles_total\{outcome="ledger-unavailable"\} 3/);
  });
});

describe('a crash and restart in the middle of a drain', () => {
  /** Replica A reserves the burst, evicts 3 and dies; then `next` runs a cycle a minute later. */
  async function crashThenRestart(next: (state: ClusterState, clock: VirtualClock) => Descheduler): Promise<{ before: number; after: number }> {
    const state = cluster(10); // 20 evictions needed; the burst allows 8
    const clock = new VirtualClock(NOW);
    const dying = descheduler(state, clock, { client: faulty(kubeEvictionClient(api.kubeConfig, 'a'), { hangEvictAfter: 3 }), callTimeoutMs: 3_600_000 });
    void dying.cycle(); // never finishes: the process is gone
    for (let i = 0; i < 100 && api.evictions.length < 3; i++) await settle();
    const before = api.evictions.length;
    informerSync(state);
    clock.advance(60_000);
    const r = await next(state, clock).cycle();
    return { before, after: r.execution?.outcomes.evicted ?? 0 };
  }

  it('the restarted process counts the dead one\'s reservation: at most the burst plus the refill in the window', async () => {
    const { before, after } = await crashThenRestart((state, clock) => descheduler(state, clock, { identity: 'a-restarted' }));
    expect(before).toBe(3);
    // Reserved 8 at NOW (open: the process died before settling), +1 token a minute later.
    expect(after).toBe(1);
    expect(before + after).toBeLessThanOrEqual(RATE.burst + RATE.perMinute);
  });

  it('so does another replica that takes over, and a --once CronJob run', async () => {
    const { after } = await crashThenRestart((state, clock) => descheduler(state, clock, { identity: 'replica-b' }));
    expect(after).toBe(1);
  });

  it('control: without the ledger the restarted process would evict a whole new burst', async () => {
    const { before, after } = await crashThenRestart((state, clock) => descheduler(state, clock, { ledger: null }));
    expect(before + after).toBe(3 + RATE.burst);
    expect(before + after).toBeGreaterThan(RATE.burst + RATE.perMinute);
  });

  it('repeated restarts never exceed the rate limit over ten minutes', async () => {
    const state = cluster(20); // 40 needed
    const clock = new VirtualClock(NOW);
    let total = 0;
    for (let minute = 0; minute < 10; minute++) {
      // A fresh process every minute, dying after its second eviction each time.
      const d = descheduler(state, clock, { identity: `run-${minute}`, client: faulty(kubeEvictionClient(api.kubeConfig, `run-${minute}`), { hangEvictAfter: 2 }), callTimeoutMs: 3_600_000 });
      const start = api.evictions.length;
      void d.cycle();
      for (let i = 0; i < 10 && api.evictions.length - start < 2; i++) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 20));
      total += api.evictions.length - start;
      informerSync(state);
      clock.advance(60_000);
    }
    // Burst 8 + 1 per minute over 9 minutes = 17 at most; each dead run's reservation keeps counting.
    expect(total).toBeLessThanOrEqual(RATE.burst + 9 * RATE.perMinute);
    expect(total).toBeGreaterThan(0);
  });
});
