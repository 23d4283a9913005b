// Every simulator figure in one run, each measured in a child process of its own. Sections:
//   threads      the demo (simulator/samples/double11-small.jsonl, profiles/double11.yaml, the five
//                DEFAULT_POLICIES, forecast tracking on as `tidal simulate` has it) replayed in one
//                thread and on worker threads (--threads, default auto: one per policy up to the
//                cores): wall time and CPU time of the simulate() call, peak RSS, and a check that
//                both runs' totals and series are identical (the bench fails, exit code 1, when they
//                are not). Target: the demo in < 15 s. bench/simulator-threads.ts adds what the
//                threads cost in messages and the codec alone.
//   overhead     the multi-policy overhead: the demo's policies each alone in one thread, CPU time
//                of simulate(), against all of them together in one thread (the threads section's
//                single-thread run when both sections run). Ratio = CPU of all together / the sum
//                of the alone runs' CPU. Target < 1.10.
//   placements   pod placements per second at --nodes nodes (default 4000) for the simulator's
//                `time-sharing` (the forecast mode behind kube-scheduler's default scores, as
//                shipped) and `kube-default`: pods arrive one at a time (online and batch
//                alternating, as a trace interleaves them) and each is placed by the core exactly as
//                the simulator places it (PolicyEngine.place, then bound into the ClusterState),
//                until the cluster holds --pods of them, each policy first warmed up on a cluster of
//                its own (--warmup pods) so that the figure is the steady state of a long replay,
//                not the JIT's first minute. Target >= 50,000/s for time-sharing.
//   e2e          a synthetic trace at Alibaba cluster-trace-v2018 density (alibabaDensity: 96-core
//                nodes, ~17 online containers per node, 0.5 batch jobs per node-hour) over --days
//                days (default 8) on --nodes nodes through the whole simulator, time-sharing and
//                kube-default in one run (the trace is read once and fed to both): wall time, CPU
//                time, peak RSS, events, each policy's placement time. Targets for 4000 nodes and
//                8 days: < 300 s, peak RSS < 1024 MiB.
//   scale        the e2e run for one simulated day at each of --scale-nodes (default
//                500,1000,2000,4000): wall time per size and the growth exponent k of wall ~ nodes^k
//                (least squares of log wall on log nodes), with each step's own exponent beside it.
// How: the parent runs this script again as `--run KIND ...` for every measured run (a child prints
// one JSON line of results; its stderr, progress lines, passes through), so that each run's peak RSS
// (process.resourceUsage().maxRSS) is its own and no run finds another's JIT warm or heap full. Wall
// and CPU time are of the simulate() call itself (process.threadCpuUsage around it, plus each
// worker's CPU as ParallelStats gives it on worker threads, which includes the worker's own module
// loading), so the parent's and children's module loading is in no figure; "process CPU s" is the
// whole child's CPU over the call (V8's GC helper threads too). Placements are timed around the
// placement loop. The same run asked for by two sections is measured once. The parent prints one
// table per section, then a summary (figure, measured, target, met or not) and writes it all to
// bench/results/simulator.json. A verdict measured at other sizes than the target's says so.
//   npm run bench:simulator                          all sections (hours on 2 cores: the 8 days at 4000 nodes)
//   node bench/simulator.ts --days 1                 the quick form: e2e over one simulated day
//   node bench/simulator.ts --only threads,overhead  some sections (threads, overhead, placements, e2e, scale)
// Flags: --nodes 4000 (placements, e2e) --pods 100000 --warmup 20000 (placements) --days 8 (e2e)
//   --scale-nodes 500,1000,2000,4000 (scale) --trace --profile --policies --threads auto (threads,
//   overhead; default the demo's) --until ISO (threads, overhead: stop the replay there, a short
//   check; default the whole trace) --cpu-prof (every child writes a profile to bench/results/profiles)

import { createHash } from 'node:crypto';
import { linearRegression } from 'simple-statistics';
import { PolicyEngine } from '../scheduler/core/engine.ts';
import type { PodInfo } from '../scheduler/core/model.ts';
import type { Profile } from '../scheduler/core/profile.ts';
import { ClusterState } from '../scheduler/core/state.ts';
import { loadProfileFile } from '../profiles/loader.ts';
import type { ParallelStats } from '../simulator/engine/parallel/run.ts';
import { simulate, type SimulationInput } from '../simulator/engine/simulation.ts';
import { policyByName, type SimPolicy } from '../simulator/policies/index.ts';
import { openTrace } from '../simulator/traces/index.ts';
import { alibabaDensity, generate } from '../simulator/traces/synthetic.ts';
import { benchNode, benchPod, GiB, NOW } from './cluster.ts';
import { arg, collectGarbage, machine, peakRssMiB, profileIfAsked, table, writeResults } from './lib.ts';
import { compareThreads, DEMO_PROFILE, demoInput, demoRun, isWholeDemo, measured, threadsTable, type DemoInput, type DemoRun, type ThreadsResult } from './simulator-runs.ts';

const SECTIONS = ['threads', 'overhead', 'placements', 'e2e', 'scale'] as const;
type Section = (typeof SECTIONS)[number];
/** Both policies of the placements, e2e and scale sections. */
const PAIR = ['time-sharing', 'kube-default'];

const nodes = Number(arg('nodes', '4000'));
const podCount = Number(arg('pods', '100000'));
const warmup = Number(arg('warmup', '20000'));
const days = Number(arg('days', '8'));

// ---- the children: one measured run each ---------------------------------------------------------

interface PlacementRun {
  policy: string;
  placed: number;
  unplaced: number;
  seconds: number;
  perSecond: number;
  peakRssMiB: number;
}

interface E2eRun {
  nodes: number;
  days: number;
  events: number;
  wallSeconds: number;
  cpuSeconds: number;
  processCpuSeconds: number;
  peakRssMiB: number;
  policies: Array<{ policy: string; placements: number; placementSeconds: number; planningSeconds: number; placementsPerSecond: number; failedAttempts: number }>;
}

/** simulate() timed: wall, this thread's CPU plus the workers', the whole process's CPU, peak RSS. */
async function measureSimulate(input: SimulationInput, label: string) {
  let stats: ParallelStats | undefined;
  collectGarbage();
  const p0 = process.cpuUsage();
  const c0 = process.threadCpuUsage();
  const t0 = performance.now();
  let last = t0;
  const result = await simulate({
    ...input,
    parallel: { onStats: (s) => (stats = s) },
    onProgress: (now, events) => {
      if (performance.now() - last < 30_000) return;
      last = performance.now();
      console.error(`  ${label}  ${new Date(now).toISOString()}  ${events} events  ${((last - t0) / 1000).toFixed(0)} s  RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
    },
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  const c = process.threadCpuUsage(c0);
  const p = process.cpuUsage(p0);
  const workersMs = stats?.workers.reduce((a, w) => a + w.cpuMs, 0) ?? 0;
  return { result, stats, wallSeconds, cpuSeconds: (c.user + c.system) / 1e6 + workersMs / 1000, processCpuSeconds: (p.user + p.system) / 1e6, peakRssMiB: peakRssMiB() };
}

function untilTime(d: DemoInput): number | undefined {
  const until = d.until ? Date.parse(d.until) : undefined;
  if (until !== undefined && !Number.isFinite(until)) throw new Error(`--until ${d.until}: not an ISO time`);
  return until;
}

async function runDemo(): Promise<DemoRun> {
  const d = demoInput();
  const t = arg('threads', '1');
  const until = untilTime(d);
  const input: SimulationInput = {
    trace: await openTrace(d.trace),
    profile: loadProfileFile(d.profile),
    policies: d.policies.map(policyByName),
    until,
    threads: t === 'auto' ? 'auto' : Number(t),
    // As `tidal simulate` runs the demo (its default --forecast-lead 0s).
    trackForecast: { leadMs: 0 },
  };
  const { result, stats, ...m } = await measureSimulate(input, `${d.policies.join('+')} threads=${t}`);
  // Everything but the wall-clock cpuSeconds (which the CSVs leave out too).
  const figures = Object.fromEntries(result.policies.map(({ policy, totals: { cpuSeconds: _wall, ...totals }, series }) => [policy, createHash('sha256').update(JSON.stringify({ totals, series })).digest('hex')]));
  return { threads: stats?.threads ?? 1, events: result.events, ...m, figures, ...(stats ? { stats } : {}) };
}

/** Places `count` pods one at a time on a fresh cluster of `nodes` nodes: how many were placed, in what time. */
function placeAll(policy: SimPolicy, profile: Profile, count: number): { placed: number; seconds: number } {
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

function runPlacements(): PlacementRun {
  const name = arg('policy', '');
  const policy = policyByName(name);
  const profile = loadProfileFile(DEMO_PROFILE);
  if (warmup > 0) placeAll(policy, profile, warmup);
  collectGarbage();
  const { placed, seconds } = placeAll(policy, profile, podCount);
  console.error(`${name}: ${placed} of ${podCount} pods placed on ${nodes} nodes in ${seconds.toFixed(2)} s`);
  return { policy: name, placed, unplaced: podCount - placed, seconds, perSecond: placed / seconds, peakRssMiB: peakRssMiB() };
}

async function runE2e(): Promise<E2eRun> {
  const trace = generate(alibabaDensity(nodes, { days }));
  const m = await measureSimulate({ trace, profile: loadProfileFile(DEMO_PROFILE), policies: PAIR.map(policyByName) }, `${nodes} nodes x ${days} d`);
  const policies = m.result.policies.map((p) => ({
    policy: p.policy,
    placements: p.totals.placements,
    placementSeconds: p.totals.cpuSeconds.placement,
    planningSeconds: p.totals.cpuSeconds.planning,
    placementsPerSecond: p.totals.placements / Math.max(1e-9, p.totals.cpuSeconds.placement),
    failedAttempts: p.totals.failedAttempts,
  }));
  return { nodes, days, events: m.result.events, wallSeconds: m.wallSeconds, cpuSeconds: m.cpuSeconds, processCpuSeconds: m.processCpuSeconds, peakRssMiB: m.peakRssMiB, policies };
}

/** `--run KIND`: one measured run; its results as one JSON line on stdout. */
async function child(kind: string): Promise<void> {
  try {
    const out = kind === 'demo' ? await runDemo() : kind === 'placements' ? runPlacements() : kind === 'e2e' ? await runE2e() : null;
    if (!out) throw new Error(`--run ${kind}: no such run (demo, placements, e2e)`);
    console.log(JSON.stringify({ ok: true, ...out }));
  } catch (e) {
    console.error((e as Error).stack ?? e);
    console.log(JSON.stringify({ ok: false, error: (e as Error).message ?? String(e) }));
    process.exitCode = 1;
  }
}

// ---- the parent: the sections, the summary ---------------------------------------------------------

interface SummaryRow {
  figure: string;
  measured: string;
  target: string;
  verdict: string;
}

const s1 = (x: number) => x.toFixed(1);
const mib = (x: number) => `${x.toFixed(0)} MiB`;
const dayCount = (n: number) => `${n} day${n === 1 ? '' : 's'}`;
/** "met" or "not met", with why the verdict is only indicative when the run was not the target's. */
const verdict = (met: boolean, otherThanTarget: string | null) => (met ? 'met' : 'not met') + (otherThanTarget ? ` (${otherThanTarget})` : '');

function threadsSection(d: DemoInput, summary: SummaryRow[]): ThreadsResult {
  const t = compareThreads(d, arg('threads', 'auto'));
  console.log(`\n== threads: ${d.trace}${d.until ? ` until ${d.until}` : ''}, ${d.policies.join(', ')}; one thread vs worker threads`);
  console.log(threadsTable(t));
  const partial = isWholeDemo(d) ? null : 'not the whole demo';
  const line = (r: DemoRun) => `${s1(r.wallSeconds)} s (${s1(r.cpuSeconds)} CPU-s, ${mib(r.peakRssMiB)})`;
  summary.push({ figure: 'demo, single thread: wall', measured: line(t.single), target: '', verdict: '' });
  summary.push({ figure: `demo, ${t.parallel.threads} worker threads: wall`, measured: line(t.parallel), target: '< 15 s', verdict: verdict(t.parallel.wallSeconds < 15, partial) });
  summary.push({ figure: 'demo: totals and series, threads vs one thread', measured: t.differ.length === 0 ? 'identical' : `differ: ${t.differ.join(', ')}`, target: 'identical', verdict: t.differ.length === 0 ? 'met' : 'NOT MET' });
  if (t.differ.length > 0) process.exitCode = 1;
  return t;
}

function overheadSection(d: DemoInput, summary: SummaryRow[]) {
  const alone = d.policies.map((p) => ({ policy: p, run: demoRun({ ...d, policies: [p] }, '1') }));
  const together = demoRun(d, '1');
  const sum = (f: (r: DemoRun) => number) => alone.reduce((a, x) => a + f(x.run), 0);
  const sumCpu = sum((r) => r.cpuSeconds);
  const ratio = together.cpuSeconds / sumCpu;
  const processRatio = together.processCpuSeconds / sum((r) => r.processCpuSeconds);
  console.log(`\n== overhead: ${d.trace}${d.until ? ` until ${d.until}` : ''}; each policy alone in one thread vs all ${d.policies.length} together in one thread`);
  console.log(
    table(
      ['run', 'wall s', 'CPU s', 'process CPU s', 'peak RSS MiB', 'events'],
      [
        ...alone.map(({ policy, run }) => [`${policy} alone`, run.wallSeconds, run.cpuSeconds, run.processCpuSeconds, run.peakRssMiB, run.events]),
        ['sum of the alone runs', sum((r) => r.wallSeconds), sumCpu, sum((r) => r.processCpuSeconds), '', ''],
        [`all ${d.policies.length} together`, together.wallSeconds, together.cpuSeconds, together.processCpuSeconds, together.peakRssMiB, together.events],
      ],
    ),
  );
  console.log(`overhead ratio: ${together.cpuSeconds.toFixed(2)} / ${sumCpu.toFixed(2)} CPU-s = ${ratio.toFixed(3)}x (on process CPU ${processRatio.toFixed(3)}x); target < 1.10`);
  summary.push({ figure: 'multi-policy overhead (CPU together / sum alone)', measured: `${ratio.toFixed(3)}x (${together.cpuSeconds.toFixed(2)} / ${sumCpu.toFixed(2)} CPU-s)`, target: '< 1.10', verdict: verdict(ratio < 1.1, isWholeDemo(d) ? null : 'not the whole demo') });
  return { alone: alone.map(({ policy, run }) => ({ policy, ...run })), together, sumAloneCpuSeconds: sumCpu, ratio, processCpuRatio: processRatio };
}

function placementsSection(summary: SummaryRow[]): PlacementRun[] {
  const rows = PAIR.map((p) => measured<PlacementRun>('placements', ['--policy', p, '--nodes', String(nodes), '--pods', String(podCount), '--warmup', String(warmup)]));
  console.log(`\n== placements: ${nodes} nodes, ${podCount} pods after ${warmup} of warm-up, each policy in its own process`);
  console.log(
    table(
      ['policy', 'placed', 'unplaced', 'seconds', 'placements/s', 'ratio', 'peak RSS MiB'],
      rows.map((r) => [r.policy, r.placed, r.unplaced, r.seconds, r.perSecond, `${(r.perSecond / rows[1]!.perSecond).toFixed(2)}x`, r.peakRssMiB]),
    ),
  );
  for (const r of rows) {
    const target = r.policy === 'time-sharing';
    summary.push({ figure: `placements/s, ${r.policy}, ${nodes} nodes`, measured: Math.round(r.perSecond).toLocaleString('en-US'), target: target ? '>= 50,000' : '', verdict: target ? verdict(r.perSecond >= 50_000, nodes === 4000 ? null : 'target is at 4000 nodes') : '' });
  }
  return rows;
}

function e2eTable(runs: E2eRun[]): string {
  return table(
    ['nodes', 'days', 'events', 'wall s', 'CPU s', 'process CPU s', 'peak RSS MiB', ...PAIR.map((p) => `${p} placement s`)],
    runs.map((r) => [r.nodes, r.days, r.events, r.wallSeconds, r.cpuSeconds, r.processCpuSeconds, r.peakRssMiB, ...PAIR.map((p) => r.policies.find((x) => x.policy === p)?.placementSeconds ?? NaN)]),
  );
}

function e2eRun(n: number, d: number): E2eRun {
  return measured<E2eRun>('e2e', ['--nodes', String(n), '--days', String(d)]);
}

function e2eSection(summary: SummaryRow[]): E2eRun {
  const r = e2eRun(nodes, days);
  console.log(`\n== e2e: ${nodes} nodes, ${dayCount(days)} at Alibaba-2018 density, ${PAIR.join(' and ')} in one run`);
  console.log(e2eTable([r]));
  console.log(
    table(
      ['policy', 'placements', 'placement s', 'planning s', 'placements/s', 'failed attempts'],
      r.policies.map((p) => [p.policy, p.placements, p.placementSeconds, p.planningSeconds, p.placementsPerSecond, p.failedAttempts]),
    ),
  );
  const other = nodes === 4000 && days === 8 ? null : 'target is for 4000 nodes x 8 days';
  summary.push({ figure: `e2e ${nodes} nodes x ${dayCount(days)}: wall`, measured: `${s1(r.wallSeconds)} s (${s1(r.cpuSeconds)} CPU-s)`, target: '< 300 s', verdict: verdict(r.wallSeconds < 300, other) });
  summary.push({ figure: `e2e ${nodes} nodes x ${dayCount(days)}: peak RSS`, measured: mib(r.peakRssMiB), target: '< 1024 MiB', verdict: verdict(r.peakRssMiB < 1024, other) });
  return r;
}

function scaleSizes(): number[] {
  return arg('scale-nodes', '500,1000,2000,4000').split(',').map(Number);
}

function scaleSection(summary: SummaryRow[]) {
  const sizes = scaleSizes();
  const runs = sizes.map((n) => e2eRun(n, 1));
  const distinct = new Set(sizes).size >= 2;
  const k = distinct ? linearRegression(runs.map((r) => [Math.log(r.nodes), Math.log(r.wallSeconds)])).m : NaN;
  console.log(`\n== scale: one simulated day at ${sizes.join(', ')} nodes, ${PAIR.join(' and ')} in one run`);
  console.log(e2eTable(runs));
  const steps = runs.slice(1).map((r, i) => `${runs[i]!.nodes} -> ${r.nodes}: ^${(Math.log(r.wallSeconds / runs[i]!.wallSeconds) / Math.log(r.nodes / runs[i]!.nodes)).toFixed(2)}`);
  const law = distinct ? `wall ~ nodes^${k.toFixed(2)}` : 'wall ~ nodes^? (needs two sizes or more)';
  console.log(`${law} (least squares of log wall on log nodes)${steps.length ? `; step by step ${steps.join(', ')}` : ''}`);
  summary.push({ figure: 'scale, one simulated day: wall', measured: `${runs.map((r) => `${r.nodes}: ${s1(r.wallSeconds)} s`).join(', ')}; ${law}`, target: '', verdict: '' });
  return { runs, exponent: distinct ? k : null };
}

async function main(): Promise<void> {
  profileIfAsked(import.meta.url);
  const onlyArg = arg('only', '');
  const only = onlyArg ? onlyArg.split(',') : [...SECTIONS];
  const unknown = only.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`--only ${onlyArg}: no section ${unknown.join(', ')} (sections: ${SECTIONS.join(', ')})`);
  const on = (s: Section) => only.includes(s);
  const m = machine();
  console.log(`Simulator benchmarks: ${m.cpus} cores (${m.model}), Node ${m.node}; sections ${SECTIONS.filter(on).join(', ')}; each run in a process of its own`);
  const d = demoInput();
  // What a child would refuse, refused before the first (long) run.
  if (on('threads') || on('overhead')) {
    d.policies.forEach(policyByName);
    untilTime(d);
  }
  for (const [flag, v] of Object.entries({ nodes, pods: podCount, days, 'scale-nodes': Math.min(...scaleSizes()) })) {
    if (!(v > 0)) throw new Error(`--${flag} ${arg(flag, '')}: ${flag === 'scale-nodes' ? 'each size' : 'it'} must be a number above 0`);
  }
  if (!(Number.isInteger(warmup) && warmup >= 0)) throw new Error('--warmup must be a whole number');
  const summary: SummaryRow[] = [];
  const results: Record<string, unknown> = { demo: d, nodes, pods: podCount, warmup, days };
  if (on('threads')) results.threads = threadsSection(d, summary);
  if (on('overhead')) results.overhead = overheadSection(d, summary);
  if (on('placements')) results.placements = placementsSection(summary);
  if (on('e2e')) results.endToEnd = e2eSection(summary);
  if (on('scale')) results.scale = scaleSection(summary);
  console.log('\n== summary');
  console.log(table(['figure', 'measured', 'target', 'verdict'], summary.map((r) => [r.figure, r.measured, r.target, r.verdict])));
  console.log(`results: ${writeResults('simulator', { ...results, summary })}`);
}

if (process.argv.includes('--run')) await child(arg('run', ''));
else await main();
