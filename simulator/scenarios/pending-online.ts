// Why an online pod waited: replays a trace under one policy on its first N nodes (as `tidal plan`
// removes nodes) and prints each online pod pending past a minute, the first time it is seen, with
// the five largest unrequested rooms (allocatable less online and system requests) and the total.
//
//   node simulator/scenarios/pending-online.ts [policy] [nodes] [trace] [profile]
//   node simulator/scenarios/pending-online.ts time-sharing 31      (the Double 11 week by default)

import { loadProfileFile } from '../../profiles/loader.ts';
import { simulate } from '../engine/simulation.ts';
import { policyByName } from '../policies/index.ts';
import { openTrace } from '../traces/index.ts';

const [policy = 'time-sharing', nodes = '31', file = 'simulator/scenarios/double11-week.jsonl.gz', profile = 'profiles/double11.yaml'] = process.argv.slice(2);
const N = Number(nodes);
const names: string[] = [];
for await (const e of (await openTrace(file, {})).events()) if (e.type === 'node-add' && !names.includes(e.node.name)) names.push(e.node.name);
const keep = new Set(names.slice(0, N));
const seen = new Set<string>();
const GiB = 2 ** 30;
const r = await simulate({
  trace: await openTrace(file, {}),
  profile: loadProfileFile(profile),
  policies: [policyByName(policy)],
  nodeFilter: (n) => keep.has(n),
  onStep: (now, sims, phase) => {
    if (phase !== 'schedule') return;
    const sim = sims[0]!;
    for (const p of sim.pending('online')) {
      if (seen.has(p.uid) || !(now - p.createdAt > 60_000)) continue;
      seen.add(p.uid);
      const room = [...sim.state.nodes.values()]
        .map((n) => {
          const a = n.spec.allocatable;
          const q = n.requested;
          return { node: n.name, cpu: a.cpu - q.online.cpu - q.system.cpu, mem: (a.memory - q.online.memory - q.system.memory) / GiB };
        })
        .sort((x, y) => y.cpu - x.cpu);
      console.log(`${new Date(now).toISOString()} pending online ${p.namespace}/${p.name} (${p.app}) ${p.requests.cpu}m ${(p.requests.memory / GiB).toFixed(1)} GiB since ${new Date(p.createdAt).toISOString()}`);
      console.log(`  largest rooms: ${room.slice(0, 5).map((f) => `${f.node} ${f.cpu}m ${f.mem.toFixed(1)} GiB`).join(', ')}`);
      console.log(`  unrequested CPU on all ${room.length} nodes: ${room.reduce((s, f) => s + f.cpu, 0)}m`);
    }
  },
});
const t = r.policies[0]!.totals;
console.log(`${policy} on ${keep.size} nodes: online pods delayed ${t.onlineRisk.onlinePodsDelayed}, unplaced ${t.onlineRisk.onlinePodsUnplaced}; batch ${t.batch.completedCoreHours.toFixed(1)} core-h; ${r.wallSeconds.toFixed(1)} s`);
