// The extender's filter + prioritize for one pod, as kube-scheduler calls them, at 1000, 5000 and
// 10000 nodes with 30 pods per node (bench/cluster.ts), in both nodeCacheCapable modes:
//   in process   the handlers' JSON entry points (filterJson, prioritizeJson: what the server sends),
//                on bodies already parsed, so the figure is Tidal's decision and answer, per call.
//   loopback     (--http) the webhook in a child process pinned to one core (taskset when present),
//                driven over HTTP with keep-alive at a fixed concurrency for a fixed time: throughput,
//                p50/p99 latency and errors, body parsing and serialisation included.
// kube-scheduler sends the extender the nodes that passed its own filters, at most
// numFeasibleNodesToFind of them (adaptive percentageOfNodesToScore: 10% of 5000 nodes), so each
// size is measured with that list ("adaptive") and with every node ("all"). Tidal's default policy
// (time-sharing: the forecast mode, over profiles/daily-tidal.yaml read in forecast mode, as `tidal
// extender` runs it) and kube-default run side by side; the ratio is time-sharing / kube-default.
//   node bench/extender.ts [--nodes 1000,5000,10000] [--runs 400] [--http] [--http-seconds 8] [--concurrency 4] [--cpu-prof]

import { isForecastPolicy, PRESETS, type PolicyConfig } from '../scheduler/core/config.ts';
import { VirtualClock } from '../scheduler/core/clock.ts';
import { numFeasibleNodesToFind, PolicyEngine } from '../scheduler/core/engine.ts';
import { ExtenderHandlers } from '../scheduler/extender/handlers.ts';
import type { ExtenderArgs } from '../scheduler/extender/wire.ts';
import { loadProfileFile } from '../profiles/loader.ts';
import { forecastModeProfile } from '../scheduler/core/profile.ts';
import { extenderArgs, wireNode } from '../test/fixtures/extender/payloads.ts';
import { buildCluster, NOW } from './cluster.ts';
import { httpClosedLoop } from './http-closed-loop.ts';
import { arg, collectGarbage, machine, profileIfAsked, table, timeCalls, writeResults, type Stats } from './lib.ts';
import { pendingPod, SyncedSource } from './load-lib.ts';

profileIfAsked(import.meta.url);
const sizes = arg('nodes', '1000,5000,10000').split(',').map(Number);
const runs = Number(arg('runs', '400'));
const http = process.argv.includes('--http');
const httpSeconds = Number(arg('http-seconds', '8'));
const concurrency = Number(arg('concurrency', '4'));
const profile = loadProfileFile(new URL('../profiles/daily-tidal.yaml', import.meta.url).pathname);
const POLICIES: Array<[string, PolicyConfig]> = [
  ['time-sharing', PRESETS['time-sharing']!],
  ['kube-default', PRESETS['kube-default']!],
];

interface Row {
  nodes: number;
  list: 'adaptive' | 'all';
  listed: number;
  cacheCapable: boolean;
  policy: string;
  call: Stats;
}
const rows: Row[] = [];

/** Pending pods as kube-scheduler sends them, alternating online and batch. */
const pods = Array.from({ length: 32 }, (_, k) => pendingPod(k, k % 2 ? 'batch' : 'online'));

for (const nodes of sizes) {
  const t0 = performance.now();
  // One cluster per policy: each engine caches predictions in its state's table.
  const clusters = POLICIES.map(([, c]) => buildCluster(nodes, c.usage));
  console.error(`built ${nodes} nodes x 30 pods twice in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const names = clusters[0]!.names;
  const adaptive = numFeasibleNodesToFind(nodes, 0);
  // kube-scheduler walks nodes from a rotating start; any contiguous window of names is as good.
  const lists = { adaptive: names.slice(0, adaptive), all: names };
  const wire = new Map(names.map((n, i) => [n, wireNode(n, { cpu: '32', memory: '128Gi', zone: `zone-${i % 3}` })]));
  for (const [listName, list] of Object.entries(lists) as Array<['adaptive' | 'all', string[]]>) {
    for (const cacheCapable of [true, false]) {
      const nodeObjs = cacheCapable ? [] : list.map((n) => wire.get(n)!);
      const bodies = pods.map((p) => extenderArgs(p, cacheCapable ? list.map((n) => ({ metadata: { name: n } })) : nodeObjs, cacheCapable) as unknown as ExtenderArgs);
      POLICIES.forEach(([policy, config], pi) => {
        const { state } = clusters[pi]!;
        const engine = new PolicyEngine({ config, state, profile: isForecastPolicy(config) ? forecastModeProfile(profile) : profile });
        const handlers = new ExtenderHandlers({ engine, source: new SyncedSource(state), clock: new VirtualClock(NOW) });
        // One call = filter, then prioritize over the nodes that passed (as kube-scheduler does). The
        // prioritize bodies come from one untimed filter answer per pod (the state does not change), so
        // the figure is Tidal's work only, not kube-scheduler's parsing of the answer.
        const prio = bodies.map((args) => {
          const f = JSON.parse(handlers.filterJson(args)) as { NodeNames: string[] | null; Nodes: { items: never[] } | null };
          return cacheCapable ? { ...args, NodeNames: f.NodeNames } : { ...args, Nodes: { metadata: {}, items: f.Nodes!.items } };
        });
        collectGarbage();
        const call = timeCalls((k) => {
          handlers.filterJson(bodies[k % bodies.length]!);
          handlers.prioritizeJson(prio[k % bodies.length]!);
        }, runs);
        rows.push({ nodes, list: listName, listed: list.length, cacheCapable, policy, call });
        console.error(`${nodes} ${listName} cache=${cacheCapable} ${policy}: median ${call.median.toFixed(3)} ms, p99 ${call.p99.toFixed(3)} ms`);
      });
    }
  }
}

const ratioOf = (r: Row): number => r.call.median / rows.find((o) => o.nodes === r.nodes && o.list === r.list && o.cacheCapable === r.cacheCapable && o.policy === 'kube-default')!.call.median;
const m = machine();
console.log(`\nExtender filter + prioritize for one pod, in process (${m.cpus} cores, ${m.model}, Node ${m.node}); ${runs} calls each`);
console.log(
  table(
    ['nodes', 'list', 'nodes sent', 'nodeCache', 'policy', 'median ms', 'p99 ms', 'ratio (median)'],
    rows.map((r) => [r.nodes, r.list, r.listed, String(r.cacheCapable), r.policy, r.call.median, r.call.p99, r.policy === 'kube-default' ? '1' : `${ratioOf(r).toFixed(2)}x`]),
  ),
);
console.log('target: 5000 nodes, nodeCacheCapable, p99 < 2 ms per call');

let httpRows: Awaited<ReturnType<typeof httpClosedLoop>>[] = [];
if (http) {
  httpRows = [];
  for (const [policy] of POLICIES) {
    for (const cacheCapable of [true, false]) {
      const r = await httpClosedLoop({ nodes: 5000, policy, cacheCapable, seconds: httpSeconds, concurrency, list: 'adaptive' });
      httpRows.push(r);
      console.error(`http ${policy} cache=${cacheCapable}: ${r.requestsPerSecond.toFixed(0)} req/s p99 ${r.p99.toFixed(2)} ms errors ${r.errors}`);
    }
  }
  const base = (r: (typeof httpRows)[number]) => httpRows.find((o) => o.policy === 'kube-default' && o.cacheCapable === r.cacheCapable)!;
  console.log(`\nLoopback HTTP, 5000 nodes (adaptive list of ${numFeasibleNodesToFind(5000, 0)}), server pinned to one core, ${concurrency} concurrent, ${httpSeconds} s each`);
  console.log(
    table(
      ['policy', 'nodeCache', 'pinned', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'ratio (req/s)'],
      httpRows.map((r) => [r.policy, String(r.cacheCapable), String(r.pinned), r.requests, r.requestsPerSecond, r.p50, r.p99, r.errors, r.policy === 'kube-default' ? '1' : `${(r.requestsPerSecond / base(r).requestsPerSecond).toFixed(2)}x`]),
    ),
  );
  console.log('target: 5000 nodes, nodeCacheCapable, loopback p99 < 5 ms and > 2000 requests/s on one core, zero errors');
}
console.log(`results: ${writeResults('extender', { machine: m, runs, inProcess: rows, http: httpRows })}`);
