import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../scheduler/core/clock.ts';
import { kubeLeaseStore } from '../../../scheduler/kube/lease-store.ts';
import { DEFAULT_TIMINGS, LeaderElector } from '../../../scheduler/kube/leader.ts';
import { startFakeApi, type FakeApi } from '../../helpers/fake-apiserver.ts';

let api: FakeApi;
beforeEach(async () => {
  api = await startFakeApi();
});
afterEach(async () => {
  await api.close();
});

function elector(identity: string, clock: VirtualClock) {
  return new LeaderElector(kubeLeaseStore(api.kubeConfig, 'tidal-system', 'tidal-descheduler'), { ...DEFAULT_TIMINGS, leaseName: 'tidal-descheduler', namespace: 'tidal-system', identity }, clock);
}

describe('leader election over a Lease', () => {
  it('lets one replica lead; the other takes over only after the lease goes unrenewed for its duration', async () => {
    const clock = new VirtualClock(Date.parse('2026-11-10T12:00:00Z'));
    const a = elector('a', clock);
    const b = elector('b', clock);
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    for (let i = 0; i < 5; i++) {
      clock.advance(2000);
      expect(await a.tryAcquireOrRenew()).toBe(true);
      expect(await b.tryAcquireOrRenew()).toBe(false);
    }
    // a stops renewing (crashed). Its own view lapses after the renew deadline...
    clock.advance(10_001);
    expect(a.isLeader()).toBe(false);
    // ...but b must wait the whole lease duration from when it last saw the record change.
    expect(await b.tryAcquireOrRenew()).toBe(false);
    clock.advance(5000);
    expect(await b.tryAcquireOrRenew()).toBe(true);
    const lease = api.leases.get('tidal-system/tidal-descheduler')!.body as { spec: { holderIdentity: string; leaseTransitions: number } };
    expect(lease.spec.holderIdentity).toBe('b');
    expect(lease.spec.leaseTransitions).toBe(1);
  });

  it('lets exactly one of two racing replicas win (resourceVersion conflict)', async () => {
    const clock = new VirtualClock(Date.parse('2026-11-10T12:00:00Z'));
    const a = elector('a', clock);
    const b = elector('b', clock);
    const results = await Promise.all([a.tryAcquireOrRenew(), b.tryAcquireOrRenew()]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('releases on shutdown so that another replica takes over at once', async () => {
    const clock = new VirtualClock(Date.parse('2026-11-10T12:00:00Z'));
    const a = elector('a', clock);
    const b = elector('b', clock);
    await a.tryAcquireOrRenew();
    await a.release();
    expect(await b.tryAcquireOrRenew()).toBe(true);
  });

  it('refuses inconsistent timings', () => {
    expect(() => new LeaderElector(kubeLeaseStore(api.kubeConfig, 'x', 'y'), { ...DEFAULT_TIMINGS, leaseName: 'tidal-descheduler', namespace: 'tidal-system', identity: 'a', renewDeadlineMs: 20_000 }, new VirtualClock(0))).toThrow(/renewDeadline must be shorter/);
  });
});
