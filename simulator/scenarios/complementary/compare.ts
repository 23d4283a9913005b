// Complementary-peak placement against load-aware placement by current usage, on the shipped
// scenario (generate.ts): replays the trace under both, then searches the fewest nodes each needs
// for online risk under a bound (simulator/plan.ts, what `tidal plan` runs).
//
//   node simulator/scenarios/complementary/compare.ts [--max-risk 0.005] [--learn-days 2] [--from 11] [--trace FILE] [--json FILE]
//
// Policies (both the time-sharing preset, the scenario's profile, the default descheduler):
//   complementary-peak   TIME_SHARING as shipped: complementaryPeak on (ComplementaryPeak score,
//                        CombinedPeakFit filter, curve-aware batch capacity)
//   load-aware           TIME_SHARING with complementaryPeak.enabled = false: online pods placed by
//                        predicted usage now (LoadAware), the behaviour before complementary-peak placement
// Both run with a per-pod metrics source (podMetrics below): every 5 minutes each online pod's usage
// is recorded into the core (ClusterState.recordPodUsage), as the extender's metrics.k8s.io poller
// does in a cluster. The simulator records pod usage for batch pods only; without per-pod figures
// the core splits a node's usage among its pods by requests, which blurs each app's curve towards
// the node's mix. (The one-line change that makes the simulator do this itself is in the report.)

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadProfileFile } from '../../../profiles/loader.ts';
import { TIME_SHARING, type PolicyConfig } from '../../../scheduler/core/config.ts';
import type { PolicyTotals } from '../../engine/metrics.ts';
import { simulate } from '../../engine/simulation.ts';
import { planCapacity } from '../../plan.ts';
import { POLICIES, type PeerController, type SimPolicy } from '../../policies/index.ts';
import type { Trace, TraceEvent } from '../../traces/events.ts';
import { readTidalTrace } from '../../traces/tidal.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
};

export const LOAD_AWARE_ONLY: PolicyConfig = {
  ...TIME_SHARING,
  name: 'load-aware',
  complementaryPeak: { enabled: false, filter: false, batchCapacity: false },
  scoreWeights: { online: { LoadAware: 2, ZoneSpread: 1, AvoidBatchEviction: 1 }, batch: TIME_SHARING.scoreWeights.batch },
};

/** The trace's app-usage fractions as the replay goes (the workload is the same for every policy). */
const appUsage = new Map<string, { cpu: number; memory: number }>();

/** The trace with its app-usage events tapped into appUsage. */
export function tapped(trace: Trace): Trace {
  return {
    info: trace.info,
    events: async function* (): AsyncGenerator<TraceEvent> {
      appUsage.clear();
      for await (const e of trace.events()) {
        if (e.type === 'app-usage') appUsage.set(e.app, { cpu: e.cpu, memory: e.memory });
        yield e;
      }
    },
  };
}

/** A per-pod metrics source: each bound online pod's usage (its app's fraction of its requests). */
function podMetrics(): PeerController {
  return {
    intervalMs: 5 * 60_000,
    tick(api) {
      for (const node of api.state.nodeList) {
        for (const p of node.pods.values()) {
          if (p.class !== 'online') continue;
          const f = appUsage.get(p.app);
          if (f) api.state.recordPodUsage(p.uid, { cpu: p.requests.cpu * f.cpu, memory: p.requests.memory * f.memory });
        }
      }
    },
  };
}

export const VARIANTS: readonly SimPolicy[] = [
  { ...POLICIES['time-sharing']!, name: 'complementary-peak', description: 'time-sharing with complementary-peak placement (the preset)', config: TIME_SHARING, controller: podMetrics },
  // CombinedPeakFit is opt-in; this variant shows what the hard filter trades (risk on small clusters
  // against online pods kept pending).
  { ...POLICIES['time-sharing-peak-filter']!, name: 'peak+filter', description: 'complementary-peak with the CombinedPeakFit filter on', controller: podMetrics },
  { ...POLICIES['time-sharing']!, name: 'load-aware', description: 'time-sharing with complementaryPeak.enabled=false: LoadAware by current usage', config: LOAD_AWARE_ONLY, controller: podMetrics },
];

function row(t: PolicyTotals): Record<string, number> {
  return {
    hotFraction: t.onlineRisk.hotFraction,
    hotNodeMinutes: t.onlineRisk.hotNodeMinutes,
    onlineDelayed: t.onlineRisk.onlinePodsDelayed,
    peakNodesInUse: t.peakNodesInUse,
    cpuUsed: t.utilisation.cpuUsed,
    placementSeconds: t.cpuSeconds.placement,
  };
}

/** Online risk over [from, end]: hot node-minutes over node-minutes, from the run's series. */
function riskFrom(series: readonly { time: number; hotNodes: number; nodes: number }[], from: number): number {
  let hot = 0;
  let all = 0;
  for (const p of series) {
    if (p.time < from) continue;
    hot += p.hotNodes;
    all += p.nodes;
  }
  return all > 0 ? hot / all : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const traceFile = arg('trace', fileURLToPath(new URL('./trace.jsonl', import.meta.url)));
  const profile = loadProfileFile(fileURLToPath(new URL('./profile.yaml', import.meta.url)));
  const maxRisk = Number(arg('max-risk', '0.005'));
  const learnDays = Number(arg('learn-days', '2'));
  const from = Number(arg('from', '11'));
  const trace = tapped(await readTidalTrace(traceFile));
  const out: Record<string, unknown> = { trace: traceFile, maxRisk, learnDays };
  // 1. Every cluster size from --from nodes up, both policies side by side on the first N nodes.
  const scan: Array<Record<string, unknown>> = [];
  console.log(`risk = hot node-minutes / node-minutes (usage > 90% of allocatable); delayed = online pods pending > 1 min`);
  console.log(`nodes  policy               risk(all days)  risk(after day ${learnDays})  delayed  hot node-min`);
  for (let n = from; n <= 24; n++) {
    const keep = new Set<string>();
    const r = await simulate({ trace, profile, policies: VARIANTS, nodeFilter: (name) => (keep.size < n || keep.has(name) ? (keep.add(name), true) : false) });
    for (const p of r.policies) {
      const t = p.totals;
      const steady = riskFrom(p.series, r.start + learnDays * 86_400_000);
      scan.push({ nodes: n, policy: p.policy, risk: t.onlineRisk.hotFraction, riskAfterLearning: steady, delayed: t.onlineRisk.onlinePodsDelayed, hotNodeMinutes: t.onlineRisk.hotNodeMinutes });
      console.log(`${String(n).padStart(5)}  ${p.policy.padEnd(20)} ${t.onlineRisk.hotFraction.toFixed(5).padStart(14)}  ${steady.toFixed(5).padStart(17)}  ${String(t.onlineRisk.onlinePodsDelayed).padStart(7)}  ${String(t.onlineRisk.hotNodeMinutes).padStart(12)}`);
    }
  }
  out.scan = scan;
  // Fewest nodes from which on every larger cluster meets the bound (no delayed online pod).
  const needed = (policy: string, key: 'risk' | 'riskAfterLearning'): number | null => {
    let best: number | null = null;
    for (let n = 24; n >= from; n--) {
      const s = scan.find((x) => x.nodes === n && x.policy === policy)!;
      if ((s[key] as number) <= maxRisk && s.delayed === 0) best = n;
      else break;
    }
    return best;
  };
  const summary: Record<string, unknown> = {};
  for (const p of VARIANTS) summary[p.name] = { nodesNeededAllDays: needed(p.name, 'risk'), nodesNeededAfterLearning: needed(p.name, 'riskAfterLearning') };
  console.log(`\nnodes needed for risk <= ${maxRisk} and no delayed online pod:`);
  for (const [k, v] of Object.entries(summary)) console.log(`  ${k.padEnd(20)} ${JSON.stringify(v)}`);
  out.summary = summary;
  // 2. The same question through simulator/plan.ts (what \`tidal plan\` runs: binary search, whole trace).
  const plans: Record<string, unknown> = {};
  for (const policy of VARIANTS) {
    const plan = await planCapacity({ trace, profile, policy, maxRisk, maxDelayedOnline: 0 });
    plans[policy.name] = { nodesNeeded: plan.nodesNeeded, atNeeded: plan.atNeeded ? row(plan.atNeeded) : null };
    console.log(`plan ${policy.name}: nodes needed ${plan.nodesNeeded} of ${plan.totalNodes}${plan.atNeeded ? ` (risk ${plan.atNeeded.onlineRisk.hotFraction.toFixed(5)})` : ''}`);
  }
  out.plans = plans;
  const json = arg('json', '');
  if (json) writeFileSync(json, JSON.stringify(out, null, 2) + '\n');
}
