// Descheduler planner at scale: 5000 nodes and 150,000 pods (20 online, 10 batch per node), and a
// window change that must free about half of the batch capacity. Reports plan time (target < 500 ms)
// and plan size, with the default limits (the plan stops at the per-cycle cap) and without limits
// (the whole drain planned at once). Side by side in the same run: Tidal's planner with usage-based
// prediction (time-sharing-timetable: a level's drain is the timetable mode's; the forecast mode's
// drain is measured end to end by bench/simulator.ts) and with requests only (the kube-default
// configuration: no usage), and the ratio of the two.
//   node bench/planner.ts [--nodes 5000] [--runs 20] [--cpu-prof]

import { DEFAULT_PLANNER, planEvictions, type PlannerConfig } from '../scheduler/core/descheduling/plan.ts';
import { KUBE_DEFAULT, TIME_SHARING, type PolicyConfig } from '../scheduler/core/config.ts';
import { constantProfile } from '../scheduler/core/profile.ts';
import { ProfileTimeline } from '../scheduler/core/timeline.ts';
import { arg, machine, profileIfAsked, stats, table, writeResults } from './lib.ts';
import { buildCluster, NOW } from './cluster.ts';

profileIfAsked(import.meta.url);
const nodes = Number(arg('nodes', '5000'));
const runs = Number(arg('runs', '20'));

// Each node holds 10 batch pods of 700m = 7 cores: a batch share of 3.5/32 leaves room for half.
const level = { batchShare: 3.5 / 32, onlineHeadroom: 0 };
const timeline = new ProfileTimeline(constantProfile(level));
const unlimited: PlannerConfig = { ...DEFAULT_PLANNER, limits: { maxPerNode: 0, maxPerNamespace: 0, maxTotal: 0 }, hotSpot: null };
const limited: PlannerConfig = { ...DEFAULT_PLANNER, hotSpot: null };

interface Row {
  policy: string;
  limits: string;
  median: number;
  p99: number;
  planSize: number;
}

const rows: Row[] = [];
for (const [policy, config] of [
  ['time-sharing-timetable', TIME_SHARING],
  // kube-default's configuration: predictions from requests (usage never fresh).
  ['kube-default', { ...KUBE_DEFAULT, usage: { ...KUBE_DEFAULT.usage, staleAfterMs: -1 } }],
] as Array<[string, PolicyConfig]>) {
  const t0 = performance.now();
  const { state } = buildCluster(nodes, config.usage);
  const built = performance.now() - t0;
  console.error(`${policy}: built ${nodes} nodes, ${state.pods.size} pods in ${(built / 1000).toFixed(1)} s`);
  for (const [label, planner] of [
    ['default limits', limited],
    ['no limits', unlimited],
  ] as const) {
    let planSize = 0;
    const t: number[] = [];
    for (let r = 0; r < runs + 2; r++) {
      const s = performance.now();
      const plan = planEvictions({ state, timeline, now: NOW, config: planner, rateBudget: Infinity, hotStreaks: new Map() });
      const ms = performance.now() - s;
      if (r >= 2) t.push(ms);
      planSize = plan.evictions.length;
    }
    const st = stats(t);
    rows.push({ policy, limits: label, median: st.median, p99: st.p99, planSize });
  }
}

const ratio = (limits: string) => rows.find((r) => r.policy === 'time-sharing-timetable' && r.limits === limits)!.median / rows.find((r) => r.policy === 'kube-default' && r.limits === limits)!.median;
console.log(`Descheduler planner: ${nodes} nodes, ${nodes * 30} pods, a level freeing half the batch capacity (${machine().cpus} cores, ${machine().model}, Node ${machine().node})`);
console.log(table(['policy', 'limits', 'plan ms (median)', 'plan ms (p99)', 'plan size'], rows.map((r) => [r.policy, r.limits, r.median, r.p99, r.planSize])));
console.log(`time-sharing-timetable / kube-default (median): default limits ${ratio('default limits').toFixed(2)}x, no limits ${ratio('no limits').toFixed(2)}x; target: plan < 500 ms`);
console.log(`results: ${writeResults('planner', { nodes, pods: nodes * 30, runs, rows, ratio: { defaultLimits: ratio('default limits'), noLimits: ratio('no limits') } })}`);
