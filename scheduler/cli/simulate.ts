// tidal simulate | tidal trace generate | tidal trace record | tidal trace convert (tidal plan: plan.ts)

import { Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { parseDuration } from '../core/duration.ts';
import type { Profile } from '../core/profile.ts';
import { loadProfileFile } from '../../profiles/loader.ts';
import { DEFAULT_SIM_OPTIONS, type SimOptions } from '../../simulator/engine/policy-sim.ts';
import { MAX_TICKS, simulate, type ProgressLane } from '../../simulator/engine/simulation.ts';
import { addReaderOptions, readerOptions, type ReaderFlags } from './reader-options.ts';
import { DEFAULT_POLICIES, POLICY_NAMES, policyByName } from '../../simulator/policies/index.ts';
import { checkForecastLead, forecastTracking } from '../../simulator/forecast-track.ts';
import { formatTotalsTable, writeReport, type SimulationReport } from '../../simulator/report/index.ts';
import { alibabaDensity, generate, openTrace, writeTrace, type SyntheticInput, type Trace } from '../../simulator/traces/index.ts';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { resolvePolicyConfig } from '../config/policy-loader.ts';
import { realClock } from '../core/clock.ts';
import { ClusterState } from '../core/state.ts';
import { ClusterRecorder } from '../../simulator/traces/record.ts';
import { openScenarioTrace } from '../../simulator/scenario/index.ts';
import { recordHistory } from './trace-record.ts';
import { listScheduledTimes } from '../kube/scheduled.ts';
import { calibrate, formatCalibration, nodeShapes } from '../../simulator/calibrate/index.ts';
import { openStateSource } from './state-source.ts';
import { parseTime } from './time.ts';

export interface SimFlags extends ReaderFlags {
  trace: string;
  profile: string;
  policy: string[];
  until?: string;
  sampleInterval: string;
  deschedulerInterval: string;
  riskThreshold: string;
  interferenceThreshold: string;
  nodeUsageStale: string;
  progress: boolean;
  scenario?: string;
}

/** Intervals below this would tick faster than any descheduler or metrics pipeline does. */
const MIN_INTERVAL_MS = 1000;

export function simOptions(cmd: Command, traceRequired = true): Command {
  const traceHelp = 'trace: a folder of Alibaba 2018/2017 CSV tables, or a Tidal .jsonl file';
  return addReaderOptions(
    (traceRequired ? cmd.requiredOption('--trace <path>', traceHelp) : cmd.option('--trace <path>', `${traceHelp} (or --calibrate)`))
      .requiredOption('--profile <file>', 'time-sharing profile YAML (time-sharing follows its windows)'),
  )
    .option('--until <time>', "stop the replay at this instant (ISO 8601; default: the trace's declared end or last event; later than that replays on with the pods there are)")
    .option('--sample-interval <duration>', `usage sampling and report resolution (at least 1s; a run may take at most ${MAX_TICKS.toLocaleString('en-US')} ticks)`, '5m')
    .option('--descheduler-interval <duration>', 'descheduler cycle period (at least 1s)', '2m')
    .option('--risk-threshold <fraction>', "hot node: usage (CPU or memory) above this fraction of the node (the report's secondary risk rows)", String(DEFAULT_SIM_OPTIONS.riskThreshold))
    .option('--interference-threshold <fraction>', 'interference: CPU granted above this fraction of a node while online pods run (the online-risk scalar)', String(DEFAULT_SIM_OPTIONS.interferenceFraction))
    .option('--node-usage-stale <duration>', "a node's usage sample older than this is unknown, not its last value (traces with node usage)", '15m')
    .option('--scenario <file>', 'DemandScenario YAML applied to the trace first (surges, scale-out, extra batch, added nodes)')
    .option('--no-progress', 'no progress bar');
}

export function parseSimFlags(f: SimFlags, profile: Profile): { options: Partial<SimOptions>; until?: number } {
  const risk = Number(f.riskThreshold);
  if (!(risk > 0 && risk <= 2)) throw new Error(`--risk-threshold must be a fraction such as 0.9 (got ${f.riskThreshold})`);
  const interference = Number(f.interferenceThreshold ?? DEFAULT_SIM_OPTIONS.interferenceFraction);
  if (!(interference > 0 && interference <= 1)) throw new Error(`--interference-threshold must be a fraction in (0, 1] such as 0.8 (got ${f.interferenceThreshold})`);
  return {
    options: {
      sampleIntervalMs: interval(f.sampleInterval, '--sample-interval'),
      deschedulerIntervalMs: interval(f.deschedulerInterval, '--descheduler-interval'),
      riskThreshold: risk,
      interferenceFraction: interference,
      nodeUsageStaleMs: interval(f.nodeUsageStale ?? '15m', '--node-usage-stale'),
    },
    until: f.until === undefined ? undefined : flagTime(f.until, '--until', profile.timeZone),
  };
}

function flagTime(v: string, flag: string, zone: string): number {
  try {
    return parseTime(v, zone);
  } catch (e) {
    throw new Error(`${flag}: ${(e as Error).message}`);
  }
}

function interval(v: string, flag: string): number {
  let ms: number;
  try {
    ms = parseDuration(v);
  } catch (e) {
    throw new Error(`${flag}: ${(e as Error).message}`);
  }
  if (ms < MIN_INTERVAL_MS) throw new Error(`${flag} must be at least 1s (got ${v})`);
  return ms;
}

const PROGRESS_LINE_MS = 5000;

/** A progress bar over virtual time when the trace knows its span, over events otherwise. */
export function progressBar(trace: Trace, enabled: boolean, label: string) {
  if (!enabled) return { update: (_now: number, _events: number, _lanes?: readonly ProgressLane[]) => {}, stop: () => {} };
  const { start, end } = trace.info;
  const span = start !== undefined && end !== undefined && end > start ? end - start : 0;
  // On worker threads, each worker's share of the span (or its events) after the slowest's.
  const lanesText = (lanes: readonly ProgressLane[] | undefined) =>
    lanes && lanes.length > 1 ? ` [${lanes.map((l) => `${l.policies.join('+')} ${span > 0 ? `${Math.min(100, ((l.now - start!) / span) * 100).toFixed(0)}%` : l.events.toLocaleString('en-US')}`).join(', ')}]` : '';
  // Not a terminal (a log file, CI): a plain line every few seconds, so long runs are not silent.
  if (!process.stderr.isTTY) {
    let last = Date.now();
    return {
      update: (now: number, events: number, lanes?: readonly ProgressLane[]) => {
        if (Date.now() - last < PROGRESS_LINE_MS) return;
        last = Date.now();
        const pct = span > 0 ? ` (${Math.min(100, ((now - start!) / span) * 100).toFixed(0)}%)` : '';
        process.stderr.write(`${label}: ${new Date(now).toISOString().slice(0, 16)}${pct}, ${events.toLocaleString('en-US')} events${lanesText(lanes)}\n`);
      },
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% | {events} events | {clock}{lanes}`, hideCursor: true, stream: process.stderr, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(span > 0 ? 1000 : 1, 0, { events: 0, clock: '', lanes: '' });
  return {
    update: (now: number, events: number, lanes?: readonly ProgressLane[]) =>
      bar.update(span > 0 ? Math.min(1000, Math.round(((now - start!) / span) * 1000)) : 0, { events, clock: new Date(now).toISOString().slice(0, 16), lanes: lanesText(lanes) }),
    stop: () => bar.stop(),
  };
}

export function register(program: Command): void {
  simOptions(
    program
      .command('simulate')
      .description('replay a trace through the policy core under one or more policies; write report.json, series.csv, totals.csv and report.html')
      .addOption(new Option('--policy <name...>', 'policies to compare (static-colocation: former name of koordinator)').choices([...POLICY_NAMES]).default([...DEFAULT_POLICIES]))
      .option('--out <dir>', 'report folder', 'out/simulation')
      .option('--threads <n>', "worker threads for the policies, the trace read once (auto: one per policy up to the cores when there are several policies and cores; 1: every policy in this thread; the results are the same)", 'auto')
      .option('--calibrate <recorded-trace>', 'instead of a replay: decide each pod of a trace recorded with `tidal trace record` under each --policy (random tie-breaking, as kube-scheduler) and report the share placed on the node the cluster chose or one of the same score; exits 1 below --min-agreement')
      .option('--min-agreement <fraction>', 'with --calibrate: the share each policy must reach (0..1)', '0')
      .option('--seed <n>', 'with --calibrate: seed of the random tie-breaker', '1')
      .option('--forecast-node <name>', 'the node of the forecast-vs-actual chart (policies on the forecast); default: the node with the largest CPU forecast error, the busiest among equals')
      .option('--forecast-lead <duration>', 'forecast vs actual: judge each sample by the newest forecast held at least this long before it (e.g. 1h, under 24h); 0s: the forecast held when it was taken', '0s'),
    false,
  ).action(async (f: SimFlags & { out: string; threads: string; calibrate?: string; minAgreement: string; seed: string; forecastNode?: string; forecastLead: string }, cmd: Command) => {
    const profile = loadProfileFile(f.profile);
    // Calibration compares the two policies that stand for a real scheduler unless told otherwise.
    const calibrated = cmd.getOptionValueSource('policy') === 'default' ? ['kube-default', 'time-sharing'] : f.policy;
    if (f.calibrate !== undefined) return runCalibration(f.calibrate, profile, calibrated, f.minAgreement, f.seed, f);
    if (f.trace === undefined) throw new Error("required option '--trace <path>' not specified (or give --calibrate <recorded-trace>)");
    const { options, until } = parseSimFlags(f, profile);
    const threads = f.threads === 'auto' ? 'auto' : positiveInt(f.threads, '--threads');
    const trace = await openScenarioTrace(f.trace, f.scenario, readerOptions(f, f.trace));
    const policies = f.policy.map(policyByName);
    const bar = progressBar(trace, f.progress, 'simulating');
    // Forecast vs actual, tracked in the replay (a pure read of each forecast policy's forecasts).
    const leadMs = checkForecastLead(parseDuration(f.forecastLead));
    const run = await simulate({ trace, profile, policies, options, until, threads, trackForecast: { leadMs }, onProgress: bar.update });
    bar.stop();
    const tracks = run.policies.flatMap((p) => (p.forecast ? [p.forecast] : []));
    let tracked = forecastTracking(leadMs, tracks);
    if (f.forecastNode !== undefined) {
      try {
        tracked = forecastTracking(leadMs, tracks, f.forecastNode);
      } catch (e) {
        // Known only after the run: report with the default node rather than lose the run.
        console.error(`warning: ${(e as Error).message}; the chart shows ${tracked.node ?? 'no node'}`);
      }
    }
    // The raw series stay out of report.json: the report keeps the summaries and the charted node's series.
    const plain = { ...run, policies: run.policies.map(({ forecast: _raw, ...p }) => p) };
    const result: SimulationReport = tracked.policies.length > 0 ? { ...plain, forecast: tracked } : plain;
    const paths = await writeReport(result, f.out);
    if (until === undefined && result.end - result.start < options.sampleIntervalMs!) {
      console.error(`note: ${f.trace} covers ${result.end - result.start} ms (a snapshot?); pass --until to replay it for a while`);
    }
    console.log(formatTotalsTable(result));
    console.log(`\n${result.events} events in ${result.wallSeconds.toFixed(1)} s; report: ${paths.html}`);
  });

  const trace = program.command('trace').description('make and convert traces');
  trace
    .command('generate')
    .description('write a seeded synthetic trace (diurnal online services, a Double 11 surge, heavy-tailed batch) as Tidal JSON Lines')
    .requiredOption('--out <file>', 'output .jsonl (or .jsonl.gz)')
    .option('--seed <n>', 'random seed', '1')
    .option('--nodes <n>', 'cluster size', '50')
    .option('--days <n>', 'days to generate', '8')
    .option('--start <time>', 'first instant (ISO 8601 with offset)', '2026-11-04T00:00:00+08:00')
    .option('--alibaba-density', 'online apps and batch arrivals at Alibaba 2018 density for the node count (96-core nodes)')
    .action(async (f: { out: string; seed: string; nodes: string; days: string; start: string; alibabaDensity?: boolean }) => {
      const nodes = positiveInt(f.nodes, '--nodes');
      const input: SyntheticInput = { seed: positiveInt(f.seed, '--seed'), days: positiveInt(f.days, '--days'), start: f.start };
      const t = generate(f.alibabaDensity ? alibabaDensity(nodes, input) : { ...input, nodes: { count: nodes } });
      const n = await writeTrace(t, f.out);
      console.log(`wrote ${n} events to ${f.out}`);
    });
  trace
    .command('record')
    .description('snapshot a live cluster (nodes, pods, usage) through the Kubernetes API into a Tidal trace, optionally sampling changes and usage for a while')
    .requiredOption('--out <file>', 'output .jsonl (or .jsonl.gz)')
    .option('--kubeconfig <file>', 'kubeconfig (default: $KUBECONFIG, else in-cluster, else ~/.kube/config; none found is an error)')
    .option('--config <file>', 'TidalConfig YAML (how pods are classified)')
    .option('--duration <duration>', 'keep recording changes and usage this long after the snapshot (0: snapshot only)', '0')
    .option('--interval <duration>', 'sampling period while recording', '1m')
    .option('--default-batch-runtime <duration>', 'runtime assumed for batch pods that declare none (tidal.io/expected-runtime)', '1h')
    .option('--no-pin', 'let the replayed policy place the recorded pods instead of pinning them where they run')
    .option('--prometheus <url>', 'record a past span from this Prometheus (query_range over kubelet/cAdvisor series) instead of the live API')
    .option('--from <time>', 'with --prometheus: start of the span (ISO 8601)')
    .option('--to <time>', 'with --prometheus: end of the span (default: now)')
    .option('--step <duration>', 'with --prometheus: resolution of the recorded usage', '1m')
    .option('--batch-namespace <ns...>', 'with --prometheus: namespaces whose pods are batch (others are online)')
    .option('--node-label <label>', 'with --prometheus: label carrying the node name on the kubelet series', 'node')
    .option('--sync-timeout <duration>', 'give up when the first list of nodes and pods has not completed within this long', '1m')
    .action((f) => (f.prometheus ? recordHistory(f) : record(f)));
  const convert = trace
    .command('convert')
    .description('convert any supported trace (Alibaba 2018/2017 folder, .jsonl) to Tidal JSON Lines')
    .requiredOption('--in <path>', 'input trace')
    .requiredOption('--out <file>', 'output .jsonl (or .jsonl.gz)');
  addReaderOptions(convert).action(async (f: ReaderFlags & { in: string; out: string }) => {
    const t = await openTrace(f.in, readerOptions(f, f.in));
    const n = await writeTrace(t, f.out);
    const skipped = [...t.info.skipped].map(([file, k]) => `${k} in ${file}`).join(', ');
    const dropped = [...(t.info.dropped ?? [])].map(([why, k]) => `${k} ${why}`).join('; ');
    console.log(`wrote ${n} events to ${f.out}${skipped ? `; skipped rows: ${skipped}` : ''}${dropped ? `; dropped: ${dropped}` : ''}`);
  });
}

async function record(f: { kubeconfig?: string; config?: string; out: string; duration: string; interval: string; defaultBatchRuntime: string; pin: boolean; syncTimeout: string }): Promise<void> {
  const policy = resolvePolicyConfig(f.config);
  const durationMs = parseDuration(f.duration);
  const intervalMs = parseDuration(f.interval);
  if (durationMs > 0 && intervalMs < 1000) throw new Error(`--interval must be at least 1s (got ${f.interval})`);
  let syncTimeoutMs = NaN;
  try {
    syncTimeoutMs = parseDuration(f.syncTimeout);
  } catch (e) {
    throw new Error(`--sync-timeout: ${(e as Error).message}`);
  }
  if (!(syncTimeoutMs > 0)) throw new Error(`--sync-timeout must be positive (got ${f.syncTimeout})`);
  const log = pino({ level: 'warn', base: { component: 'tidal-trace-record' } });
  const state = new ClusterState(policy.usage);
  const { source, kubeConfig } = openStateSource({ kubeconfig: f.kubeconfig, state, clock: realClock, policy, metricsIntervalMs: Math.max(1000, Math.min(intervalMs, 15_000)), log, registry: new Registry() });
  const recorder = new ClusterRecorder({ defaultBatchRuntimeMs: parseDuration(f.defaultBatchRuntime), pin: f.pin });
  await source.start();
  try {
    await source.waitForSync(syncTimeoutMs).catch((e: Error) => {
      const server = kubeConfig?.getCurrentCluster()?.server ?? 'the cluster';
      throw new Error(`--sync-timeout ${f.syncTimeout}: could not list nodes and pods from ${server}: ${e.message}`);
    });
    const end = Date.now() + durationMs;
    let warned = false;
    // The order kube-scheduler bound pods in, from its Scheduled events (scheduler/kube/scheduled.ts);
    // without them (no kubeconfig, events not readable) arrivals are in creation order.
    const scheduled = async (): Promise<Map<string, number>> => {
      if (!kubeConfig) return new Map();
      try {
        return await listScheduledTimes(kubeConfig);
      } catch (e) {
        if (!warned) console.error(`note: could not list Scheduled events (${(e as Error).message}); pods created in the same second are recorded in name order`);
        warned = true;
        return new Map();
      }
    };
    for (;;) {
      recorder.observe(state, Date.now(), await scheduled());
      if (Date.now() + intervalMs > end) break;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  } finally {
    await source.stop();
  }
  const server = kubeConfig?.getCurrentCluster()?.server ?? 'cluster';
  const n = await writeTrace(recorder.trace(`recorded from ${server}`), f.out, { meta: { recorder: 'tidal trace record', cluster: server } });
  console.log(`wrote ${n} events (${state.nodes.size} nodes, ${state.pods.size} pods) to ${f.out}`);
}

async function runCalibration(path: string, profile: Profile, policyNames: string[], minAgreement: string, seedFlag: string, f: ReaderFlags): Promise<void> {
  const min = Number(minAgreement);
  if (!(min >= 0 && min <= 1)) throw new Error(`--min-agreement must be a fraction between 0 and 1 (got ${minAgreement})`);
  const seed = positiveInt(seedFlag, '--seed');
  const open = () => openTrace(path, readerOptions(f, path));
  const results = await calibrate({ trace: await open(), profile, policies: policyNames.map(policyByName), seed });
  console.log(formatCalibration(results, await nodeShapes(await open())));
  const low = results.filter((r) => r.agreement < min);
  if (low.length > 0) {
    console.error(`agreement below --min-agreement ${min}: ${low.map((r) => `${r.policy} ${(r.agreement * 100).toFixed(1)}%`).join(', ')}`);
    process.exitCode = 1;
  }
}

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} must be a positive whole number (got ${v})`);
  return n;
}
