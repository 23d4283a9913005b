// Two extender replicas over one Lease: only the holder admits batch and reports Ready; the standby
// answers as not synced (batch refused on every node), closes the connection after each answer, and
// takes over once the Lease has gone unrenewed for its duration, then waits one settle period.
import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NOW } from '../../fixtures/extender/cluster.ts';
import { VirtualClock } from '../../../scheduler/core/clock.ts';
import { LeaderGatedSource } from '../../../scheduler/extender/leadership.ts';
import { DEFAULT_TIMINGS, LeaderElector } from '../../../scheduler/kube/leader.ts';
import { kubeLeaseStore } from '../../../scheduler/kube/lease-store.ts';
import { startFakeApi, type FakeApi } from '../../helpers/fake-apiserver.ts';
import { batchPod, extenderArgs } from '../../fixtures/extender/payloads.ts';
import { startHardened, type HardenedExtender } from './app.ts';

const SETTLE_MS = 2000;
let api: FakeApi;
const running: HardenedExtender[] = [];
beforeEach(async () => {
  api = await startFakeApi();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
  await api.close();
});

async function replica(identity: string, clock: VirtualClock): Promise<{ ext: HardenedExtender; elector: LeaderElector; gate: () => LeaderGatedSource }> {
  let gate: LeaderGatedSource | undefined;
  const elector = new LeaderElector(kubeLeaseStore(api.kubeConfig, 'tidal-system', 'tidal-extender'), { ...DEFAULT_TIMINGS, identity, namespace: 'tidal-system', leaseName: 'tidal-extender' }, clock, (l) => gate?.noteLeadership(l));
  const ext = await startHardened({ wrapSource: (s) => (gate = new LeaderGatedSource(s, elector, { clock, settleMs: SETTLE_MS, lease: 'tidal-system/tidal-extender' })) });
  running.push(ext);
  return { ext, elector, gate: () => gate! };
}

function post(url: string, body: unknown): Promise<{ status: number; connection: string | undefined; body: any }> {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(JSON.stringify(body));
    const req = request(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': data.length } });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function readyz(ext: HardenedExtender): Promise<{ status: number; body: any }> {
  const res = await fetch(`${ext.url}/readyz`);
  return { status: res.status, body: await res.json() };
}

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];
const batchFilter = () => extenderArgs(batchPod('b-0', { cpu: '100m', memory: '64Mi' }), NODES.map((n) => ({ metadata: { name: n } })), true);

/** How many nodes a batch pod passes on this replica. */
async function admits(ext: HardenedExtender): Promise<{ passed: number; connection: string | undefined }> {
  const r = await post(`${ext.base}/filter`, batchFilter());
  expect(r.status).toBe(200);
  return { passed: (r.body.NodeNames ?? []).length, connection: r.connection };
}

describe('extender leadership (two replicas, one Lease)', () => {
  it('only the settled leader admits batch and is Ready; the standby refuses batch and closes its connections', async () => {
    const clock = new VirtualClock(NOW);
    const a = await replica('a', clock);
    const b = await replica('b', clock);
    expect(await a.elector.tryAcquireOrRenew()).toBe(true);
    expect(await b.elector.tryAcquireOrRenew()).toBe(false);

    // Just acquired: a settles before it admits (the previous leader's last binds may be in flight).
    expect((await admits(a.ext)).passed).toBe(0);
    const settling = await readyz(a.ext);
    expect(settling.status).toBe(503);
    expect(settling.body.reason).toMatch(/leader since less than 2000 ms/);
    clock.advance(SETTLE_MS);
    await a.elector.tryAcquireOrRenew();

    const leader = await admits(a.ext);
    expect(leader.passed).toBeGreaterThan(0);
    expect(leader.connection).not.toBe('close');
    expect((await readyz(a.ext)).status).toBe(200);
    expect((await readyz(a.ext)).body.details.leaderElection).toMatchObject({ role: 'leader', holder: 'a' });

    const standby = await admits(b.ext);
    expect(standby.passed).toBe(0);
    expect(standby.connection).toBe('close');
    const rz = await readyz(b.ext);
    expect(rz.status).toBe(503);
    expect(rz.body.reason).toMatch(/^standby: the Lease tidal-system\/tidal-extender is held by "a"/);
  });

  it('fails over: the old leader stops admitting at its renew deadline, the standby admits after the lease duration and its settle period', async () => {
    const clock = new VirtualClock(NOW);
    const a = await replica('a', clock);
    const b = await replica('b', clock);
    await a.elector.tryAcquireOrRenew();
    await b.elector.tryAcquireOrRenew();
    clock.advance(SETTLE_MS);
    await a.elector.tryAcquireOrRenew();
    await b.elector.tryAcquireOrRenew();
    expect((await admits(a.ext)).passed).toBeGreaterThan(0);

    // a can no longer renew (partitioned or hung): it stops admitting before b may take over.
    clock.advance(DEFAULT_TIMINGS.renewDeadlineMs + 1);
    expect((await admits(a.ext)).passed).toBe(0);
    expect(await b.elector.tryAcquireOrRenew()).toBe(false);
    expect((await admits(b.ext)).passed).toBe(0);
    clock.advance(DEFAULT_TIMINGS.leaseDurationMs - DEFAULT_TIMINGS.renewDeadlineMs);
    expect(await b.elector.tryAcquireOrRenew()).toBe(true);
    expect((await admits(b.ext)).passed).toBe(0);
    clock.advance(SETTLE_MS);
    await b.elector.tryAcquireOrRenew();
    expect((await admits(b.ext)).passed).toBeGreaterThan(0);
    expect((await admits(a.ext)).passed).toBe(0);
  });

  it('a graceful release hands over within one retry period', async () => {
    const clock = new VirtualClock(NOW);
    const a = await replica('a', clock);
    const b = await replica('b', clock);
    await a.elector.tryAcquireOrRenew();
    await a.elector.release();
    expect((await admits(a.ext)).passed).toBe(0);
    expect(await b.elector.tryAcquireOrRenew()).toBe(true);
    clock.advance(SETTLE_MS);
    expect((await admits(b.ext)).passed).toBeGreaterThan(0);
  });
});
