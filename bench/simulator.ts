// The simulator at scale, Tidal's time-sharing policy and kube-default side by side:
//   placements   pod placements per second at 4000 nodes: pods arrive one at a time (online and batch
//                alternating, as a trace interleaves them) and each is placed by the core exactly as
//                the simulator places it (PolicyEngine.place, then bound into the ClusterState), until
//                the cluster holds --pods of them. The policies are the simulator's (`time-sharing`:
//                the forecast mode behind kube-scheduler's default scores, as shipped), each first
//                warmed up on a cluster of its own (--warmup pods) so that the figure is the steady
//                state of a long replay, not the JIT's first minute. Target >= 50,000/s.
//   end-to-end   (--e2e) a synthetic trace at Alibaba cluster-trace-v2018 density (alibabaDensity:
//                96-core nodes, ~17 online containers per node, 0.5 batch jobs per node-hour) over
//                --days days through the whole simulator, both policies in one run (the trace is read
//                once and fed to both). Wall time (target < 5 min for 4000 nodes and 8 days), peak
//                RSS (target < 1 GiB), events and each policy's placement time.
//   node bench/simulator.ts [--nodes 4000] [--pods 100000] [--warmup 20000] [--e2e] [--days 8] [--cpu-prof]

import { PolicyEngine } from '../scheduler/core/engine.ts';
import type { PodInfo } from '../scheduler/core/model.ts';
import { ClusterState } from '../scheduler/core/state.ts';
import { loadProfileFile } from '../profiles/loader.ts';
import { simulate } from '../simulator/engine/simulation.ts';
import { policyByName, type SimPolicy } from '../simulator/policies/index.ts';
import { alibabaDensity, generate } from '../simulator/traces/synthetic.ts';
import { benchNode, benchPod, GiB, NOW } from './cluster.ts';
import { arg, collectGarbage, machine, profileIfAsked, table, writeResults } from './lib.ts';

profileIfAsked(import.meta.url);
const nodes = Number(arg('nodes', '4000'));
const podCount = Number(arg('pods', '100000'));
const warmup = Number(arg('warmup', '20000'));
const e2e = process.argv.includes('--e2e');
const days = Number(arg('days', '8'));
const profileFile = new URL('../profiles/double11.yaml', import.meta.url).pathname;
const profile = loadProfileFile(profileFile);

// ---- placements ----------------------------------------------------------------------------------

interface PlacementRow {
  policy: string;
  placed: number;
  unplaced: number;
  seconds: number;
  perSecond: number;
}

/** Places `count` pods one at a time on a fresh cluster of `nodes` nodes: how many were placed, in what time. */
function placeAll(policy: SimPolicy, count: number): { placed: number; seconds: number } {
  const state = new ClusterState(policy.config.usage);
  for (let i = 0; i < nodes; i++) state.upsertNode(benchNode(i), NOW - 3_600_000);
  // An hour of node usage, so that usage-based predictions are in play as in a replay.
  for (let i = 0; i < nodes; i++) {
    const nodeName = state.nodeList[i]!.spec.name;
    for (let s = 12; s >= 1; s--) state.recordNodeUsage(nodeName, { time: NOW - s * 300_000, online: { cpu: 2000 + (i % 13) * 150, memory: 8 * GiB }, batch: { cpu: 0, memory: 0 } });
  }
  const engine = new PolicyEngine({ config: policy.config, state, profile: policy.profileFor(profile) });
  const pods: PodInfo[] = new Array(count);
  for (let k = 0; k < count; k++) {
    pods[k] =
      k % 2
        ? benchPod(`b-${k}`, { class: 'batch', app: `bench/job-${k % 701}`, priority: 5000, requests: { cpu: 200 + (k % 5) * 100, memory: GiB }, extendedBatchResources: true, ownerKind: 'Job', ownerName: `job-${k % 701}`, expectedRuntimeMs: 1_800_000 + (k % 7) * 600_000, startedAt: 0, createdAt: NOW })
        : benchPod(`o-${k}`, { app: `bench/app-${k % 3001}`, requests: { cpu: 100 + (k % 4) * 50, memory: GiB / 2 }, startedAt: 0, createdAt: NOW });
  }
  let placed = 0;
  const t0 = performance.now();
  for (let k = 0; k < count; k++) {
    const pod = pods[k]!;
    const r = engine.place(pod, NOW);
    if (!r.node) continue;
    pod.nodeName = r.node.name;
    pod.startedAt = NOW;
    state.upsertPod(pod, NOW);
    placed++;
  }
  return { placed, seconds: (performance.now() - t0) / 1000 };
}

function placements(name: string): PlacementRow {
  const policy = policyByName(name);
  if (warmup > 0) placeAll(policy, warmup);
  collectGarbage();
  const { placed, seconds } = placeAll(policy, podCount);
  console.error(`${name}: ${placed} of ${podCount} pods placed on ${nodes} nodes in ${seconds.toFixed(2)} s`);
  return { policy: name, placed, unplaced: podCount - placed, seconds, perSecond: placed / seconds };
}

const placementRows = [placements('time-sharing'), placements('kube-default')];
const m = machine();
console.log(`\nSimulator placements at ${nodes} nodes (${m.cpus} cores, ${m.model}, Node ${m.node})`);
console.log(
  table(
    ['policy', 'placed', 'unplaced', 'seconds', 'placements/s', 'ratio'],
    placementRows.map((r) => [r.policy, r.placed, r.unplaced, r.seconds, r.perSecond, `${(r.perSecond / placementRows[1]!.perSecond).toFixed(2)}x`]),
  ),
);
console.log('target: >= 50,000 placements/s at 4000 nodes');

// ---- end to end ----------------------------------------------------------------------------------

let e2eResult: Record<string, unknown> | null = null;
if (e2e) {
  const policies = [policyByName('time-sharing'), policyByName('kube-default')];
  const trace = generate(alibabaDensity(nodes, { days }));
  const t0 = performance.now();
  let last = t0;
  const result = await simulate({
    trace,
    profile,
    policies,
    onProgress: (now, events) => {
      if (performance.now() - last < 30_000) return;
      last = performance.now();
      console.error(`  ${new Date(now).toISOString()}  ${events} events  ${((last - t0) / 1000).toFixed(0)} s  RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
    },
  });
  const wall = (performance.now() - t0) / 1000;
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  const rows = result.policies.map((p) => ({
    policy: p.policy,
    placements: p.totals.placements,
    placementSeconds: p.totals.cpuSeconds.placement,
    planningSeconds: p.totals.cpuSeconds.planning,
    placementsPerSecond: p.totals.placements / Math.max(1e-9, p.totals.cpuSeconds.placement),
    failedAttempts: p.totals.failedAttempts,
  }));
  console.log(`\nSimulator end to end: ${nodes} nodes, ${days} days at Alibaba-2018 density, ${result.events.toLocaleString('en-US')} events, both policies in one run`);
  console.log(
    table(
      ['policy', 'placements', 'placement s', 'planning s', 'placements/s', 'failed attempts'],
      rows.map((r) => [r.policy, r.placements, r.placementSeconds, r.planningSeconds, r.placementsPerSecond, r.failedAttempts]),
    ),
  );
  console.log(`wall ${wall.toFixed(1)} s (target < 300 s), peak RSS ${peakRssMiB.toFixed(0)} MiB (target < 1024 MiB)`);
  e2eResult = { nodes, days, events: result.events, wallSeconds: wall, peakRssMiB, policies: rows };
}
console.log(`results: ${writeResults('simulator', { machine: m, nodes, pods: podCount, placements: placementRows, endToEnd: e2eResult })}`);
