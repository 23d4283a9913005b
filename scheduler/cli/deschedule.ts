// tidal deschedule: hand capacity back to online before and during peaks. Loop mode (leader-elected,
// a cycle every --interval) or --once (a Job/CronJob); --dry-run prints the plan and changes nothing;
// --at rehearses a coming window with today's cluster and usage.

import { hostname } from 'node:os';
import { Option, type Command } from 'commander';
import express from 'express';
import { pino } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { loadProfileFile } from '../../profiles/loader.ts';
import { resolveModePolicy } from '../config/policy-loader.ts';
import { isForecastPolicy, type PolicyConfig } from '../core/config.ts';
import { realClock } from '../core/clock.ts';
import { parseDuration } from '../core/duration.ts';
import { DEFAULT_PLANNER, type PlannerConfig } from '../core/descheduling/plan.ts';
import type { ForecastBook } from '../core/forecast/book.ts';
import { admissionTarget, forecastCapacityArgs, newForecastBook } from '../core/plugins/forecast-capacity.ts';
import { forecastModeProfile } from '../core/profile.ts';
import { TokenBucket } from '../core/rate.ts';
import { ClusterState } from '../core/state.ts';
import { ProfileTimeline } from '../core/timeline.ts';
import { Descheduler } from '../descheduler/descheduler.ts';
import { formatPlan } from '../descheduler/format.ts';
import { kubeEvictionClient } from '../descheduler/kube-client.ts';
import { kubeLeaseStore } from '../kube/lease-store.ts';
import { DEFAULT_LEASE_NAMESPACE, DEFAULT_TIMINGS, LeaderElector } from '../kube/leader.ts';
import { EvictionLedger } from '../descheduler/ledger.ts';
import { DeschedulerMetrics } from '../descheduler/metrics.ts';
import { openStateSource } from './state-source.ts';
import { formatTime, parseTime } from './time.ts';

interface Flags {
  profile: string;
  config?: string;
  kubeconfig?: string;
  state?: string;
  once?: boolean;
  dryRun?: boolean;
  at?: string;
  interval: string;
  syncTimeout: string;
  maxPerNode: string;
  maxPerNamespace: string;
  maxTotal: string;
  ratePerMinute: string;
  burst: string;
  priorityThreshold?: string;
  evictLocalStorage?: boolean;
  evictBarePods?: boolean;
  minPodAge: string;
  drain: boolean;
  hotSpot: boolean;
  hotCpu: string;
  hotMemory: string;
  targetCpu: string;
  targetMemory: string;
  hotConsecutive: string;
  hotLookahead: string;
  leaderElect: boolean;
  /** Deprecated no-op: the forecast is the default. */
  forecast?: boolean;
  /** The timetable mode (the time-sharing-timetable preset) instead of the forecast. */
  timetable?: boolean;
  forecastTarget?: string;
  forecastLead: string;
  /** undefined: on with leader election, off otherwise. */
  evictionLedger?: boolean;
  callTimeout: string;
  leaseNamespace: string;
  leaseName: string;
  identity: string;
  metricsAddress: string;
  metricsPort: string;
  metricsInterval: string;
  logLevel: string;
}

export function register(program: Command): void {
  const d = DEFAULT_PLANNER;
  program
    .command('deschedule')
    .description('evict batch pods through the Eviction API ahead of windows that shrink batch capacity, and from online hot spots')
    .requiredOption('--profile <file>', 'time-sharing profile YAML')
    .option('--config <file>', 'TidalConfig YAML (classification, usage prediction) shared with the extender')
    .option('--kubeconfig <file>', 'kubeconfig (default: $KUBECONFIG, else in-cluster, else ~/.kube/config; none found is an error)')
    .option('--state <file>', 'plan over a static cluster snapshot instead of a live cluster (implies --dry-run)')
    .option('--once', 'run one cycle and exit (for a Job or CronJob)')
    .option('--dry-run', 'print the plan per node and namespace; evict nothing')
    .option('--at <time>', 'with --dry-run: plan for the profile level at this instant (ISO 8601; local to the profile zone without an offset), with the current cluster and usage')
    .option('--interval <duration>', 'cycle period in loop mode', '1m')
    .option('--sync-timeout <duration>', 'how long to wait for the first informer sync', '3m')
    .option('--max-per-node <n>', 'evictions per node per cycle (0: no limit)', String(d.limits.maxPerNode))
    .option('--max-per-namespace <n>', 'evictions per namespace per cycle (0: no limit)', String(d.limits.maxPerNamespace))
    .option('--max-total <n>', 'evictions per cycle (0: no limit)', String(d.limits.maxTotal))
    .option('--rate-per-minute <n>', 'eviction rate limit across cycles', '10')
    .option('--burst <n>', 'eviction burst allowed by the rate limit', '20')
    .option('--priority-threshold <n>', 'only evict pods with priority below this')
    .option('--evict-local-storage', 'also evict pods with emptyDir or hostPath volumes')
    .option('--evict-bare-pods', 'also evict pods that no controller would recreate')
    .option('--min-pod-age <duration>', 'leave pods younger than this alone', '0')
    .option('--no-drain', 'no peak drain (hot-spot relief only)')
    .option('--no-hot-spot', 'no hot-spot relief (peak drain only)')
    .option('--hot-cpu <fraction>', 'a node is hot above this CPU usage fraction', String(d.hotSpot!.threshold.cpu))
    .option('--hot-memory <fraction>', 'a node is hot above this memory usage fraction', String(d.hotSpot!.threshold.memory))
    .option('--target-cpu <fraction>', 'relieve a hot node down to this CPU usage fraction', String(d.hotSpot!.target.cpu))
    .option('--target-memory <fraction>', 'relieve a hot node down to this memory usage fraction', String(d.hotSpot!.target.memory))
    .option('--hot-consecutive <n>', 'consecutive hot observations before acting', String(d.hotSpot!.consecutive))
    .option('--hot-lookahead <slots>', "also count a node hot when its tenants' learned usage curves predict it crossing the threshold within this many 15-minute slots (0: observed usage only)", String(d.hotSpot!.lookaheadSlots ?? 0))
    .option('--timetable', "Tidal's timetable mode: the time-sharing-timetable preset, the profile read whole, peak drains only; without it (and without --config), the default time-sharing preset: the profile read in forecast mode (dated windows and online-demand events only) and, beside peak drains, each node's forecast shortfall (upper band + committed batch over allocatable x target) evicted within --forecast-lead. With --config, the file's base decides")
    .option('--forecast', 'deprecated, does nothing: the forecast mode is the default')
    .option('--forecast-target <fraction>', "in forecast mode: the drain's target (default: the policy's ForecastCapacity target)")
    .option('--forecast-lead <slots>', 'in forecast mode: 15-minute slots ahead of now the shortfall looks', '2')
    .option('--no-leader-elect', 'act without a Lease (only ever one replica)')
    .option('--eviction-ledger', 'keep the rate limit in the Lease (annotation tidal.io/eviction-ledger) so that restarts and --once runs count what was evicted recently (default: on with leader election)')
    .option('--no-eviction-ledger', 'keep the rate limit in memory only (a restart starts with a full burst)')
    .option('--call-timeout <duration>', 'each apiserver call of an eviction must answer within this (else its outcome is unknown and it counts as leaving for 30 s)', '10s')
    .option('--lease-namespace <ns>', 'namespace of the leader-election Lease', DEFAULT_LEASE_NAMESPACE)
    .option('--lease-name <name>', 'name of the leader-election Lease', 'tidal-descheduler')
    .option('--identity <id>', 'this replica in the Lease', `${hostname()}-${process.pid}`)
    .option('--metrics-address <host>', 'address for /metrics and /healthz in loop mode', '0.0.0.0')
    .option('--metrics-port <port>', 'port for /metrics and /healthz in loop mode (0: off)', '8889')
    .option('--metrics-interval <duration>', 'how often to poll metrics.k8s.io', '15s')
    .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'))
    .action(async (f: Flags) => {
      await runDeschedule(f);
    });
}

function count(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} must be a whole number (got ${v})`);
  return n;
}

function fraction(v: string, flag: string): number {
  const n = Number(v);
  if (!(n > 0 && n <= 1)) throw new Error(`${flag} must be a fraction in (0, 1] (got ${v})`);
  return n;
}

export function plannerFromFlags(f: Flags): PlannerConfig {
  if (f.hotSpot) {
    for (const r of ['cpu', 'memory'] as const) {
      const [hot, target] = r === 'cpu' ? [f.hotCpu, f.targetCpu] : [f.hotMemory, f.targetMemory];
      if (Number(target) > Number(hot)) throw new Error(`--target-${r} ${target} is above --hot-${r} ${hot}: relief would stop before the node is below the threshold that made it hot`);
    }
  }
  if (!f.drain && !f.hotSpot) throw new Error('--no-drain with --no-hot-spot turns off both things the descheduler does (peak drain and hot-spot relief): nothing would be checked; drop one of them');
  return {
    rules: {
      priorityThreshold: f.priorityThreshold === undefined ? null : Number.isFinite(Number(f.priorityThreshold)) ? Number(f.priorityThreshold) : badFlag('--priority-threshold', f.priorityThreshold),
      evictLocalStorage: !!f.evictLocalStorage,
      evictBarePods: !!f.evictBarePods,
      minPodAgeMs: parseDuration(f.minPodAge),
    },
    limits: { maxPerNode: count(f.maxPerNode, '--max-per-node'), maxPerNamespace: count(f.maxPerNamespace, '--max-per-namespace'), maxTotal: count(f.maxTotal, '--max-total') },
    drain: f.drain,
    hotSpot: f.hotSpot
      ? {
          threshold: { cpu: fraction(f.hotCpu, '--hot-cpu'), memory: fraction(f.hotMemory, '--hot-memory') },
          target: { cpu: fraction(f.targetCpu, '--target-cpu'), memory: fraction(f.targetMemory, '--target-memory') },
          consecutive: Math.max(1, count(f.hotConsecutive, '--hot-consecutive')),
          lookaheadSlots: count(f.hotLookahead, '--hot-lookahead'),
        }
      : null,
  };
}

/**
 * The planner and, in forecast mode (a policy with ForecastCapacity: isForecastPolicy), the forecast
 * book: the drain's target is the policy's ForecastCapacity target unless --forecast-target says
 * otherwise, and the book is made with the policy's quantile and default runtime, as the extender's
 * ForecastCapacity makes its own.
 */
export function forecastPlanner(f: Flags, policy: PolicyConfig): { planner: PlannerConfig; book: ForecastBook | undefined; warnings: string[] } {
  const base = plannerFromFlags(f);
  if (!isForecastPolicy(policy)) {
    if (f.forecastTarget !== undefined) throw new Error(`--forecast-target needs the forecast mode (policy ${policy.name} has none: drop --timetable, or use base: time-sharing)`);
    return { planner: base, book: undefined, warnings: [] };
  }
  const a = forecastCapacityArgs(policy);
  const target = f.forecastTarget === undefined ? a.target : fraction(f.forecastTarget, '--forecast-target');
  const warnings: string[] = [];
  // Admission fills a node to the target against the forecast's upper band; when the band holds and
  // batch uses what it is committed at, usage reaches the target. Above the hot-spot threshold that
  // is a node hot-spot relief sheds and the filter refills (on the batch backlog week at target 0.9
  // against 0.85: 26,794 hot-spot evictions in a week, docs/forecast.md).
  if (base.hotSpot && a.target > base.hotSpot.threshold.cpu) {
    warnings.push(`the policy's ForecastCapacity target ${a.target} is above --hot-cpu ${base.hotSpot.threshold.cpu}: batch admitted up to the target can run the node hot, and hot-spot relief would evict what the extender admits again; keep the target at or under the hot-spot threshold`);
  }
  // The extender admits up to target - admissionMargin; a drain at or below that evicts what was just
  // admitted, and the extender puts it back (an evict-then-replace loop).
  const admitAt = admissionTarget(a);
  if (target <= admitAt) {
    warnings.push(`--forecast-target ${target} is not above what the extender admits up to (the policy's ForecastCapacity target ${a.target} less its admissionMargin ${a.admissionMargin}: ${+admitAt.toFixed(4)}): the drain would evict batch the extender places again; use a drain target above ${+admitAt.toFixed(4)}, or change the policy's target`);
  }
  return { planner: { ...base, forecast: { target, leadSlots: count(f.forecastLead, '--forecast-lead') } }, book: newForecastBook(a), warnings };
}

function badFlag(flag: string, v: string): never {
  throw new Error(`${flag} must be a number (got ${v})`);
}

export async function runDeschedule(f: Flags): Promise<void> {
  const log = pino({ level: f.logLevel, base: { component: 'tidal-descheduler' } });
  const profile = loadProfileFile(f.profile);
  const { policy, forecast } = resolveModePolicy(f, (m) => log.warn(m));
  const { planner, book, warnings } = forecastPlanner(f, policy);
  for (const w of warnings) log.warn(w);
  const dryRun = !!f.dryRun || !!f.state;
  if (f.at && !dryRun) throw new Error('--at rehearses a coming window: use it with --dry-run');
  const levelAt = f.at ? parseTime(f.at, profile.timeZone) : undefined;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = new DeschedulerMetrics(registry);
  const clock = realClock;
  const state = new ClusterState(policy.usage);
  const { source, kubeConfig } = openStateSource({ stateFile: f.state, kubeconfig: f.kubeconfig, state, clock, policy, metricsIntervalMs: parseDuration(f.metricsInterval), log, registry });
  const loop = !f.once;
  const elect = loop && !dryRun && f.leaderElect;
  const elector =
    elect && kubeConfig
      ? new LeaderElector(kubeLeaseStore(kubeConfig, f.leaseNamespace, f.leaseName), { ...DEFAULT_TIMINGS, identity: f.identity, namespace: f.leaseNamespace, leaseName: f.leaseName }, clock, (leading) => {
          metrics.leading(leading);
          log.info({ identity: f.identity }, leading ? 'became leader' : 'stopped leading');
        })
      : null;
  const client = dryRun || !kubeConfig ? null : kubeEvictionClient(kubeConfig, f.identity);
  const ratePerMinute = count(f.ratePerMinute, '--rate-per-minute');
  const burst = count(f.burst, '--burst');
  const useLedger = client !== null && kubeConfig !== null && (f.evictionLedger ?? !!elector);
  const ledger = useLedger
    ? new EvictionLedger(kubeLeaseStore(kubeConfig!, f.leaseNamespace, f.leaseName), { leaseName: f.leaseName, namespace: f.leaseNamespace, identity: f.identity, perMinute: ratePerMinute, burst })
    : null;
  const descheduler = new Descheduler({
    source,
    timeline: new ProfileTimeline(forecast ? forecastModeProfile(profile) : profile),
    planner,
    book,
    client,
    clock,
    rate: new TokenBucket(ratePerMinute, burst),
    ledger,
    callTimeoutMs: parseDuration(f.callTimeout),
    elector,
    log,
    metrics,
    levelAt: levelAt === undefined ? undefined : () => levelAt,
  });

  await source.start();
  await source.waitForSync(parseDuration(f.syncTimeout));
  const abort = new AbortController();
  const stop = (): void => abort.abort();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    if (!loop) {
      const r = await descheduler.cycle();
      const when = formatTime(levelAt ?? clock.now(), profile.timeZone);
      if (r.skipped) throw new Error(`cycle skipped: ${r.skipped}`);
      if (dryRun) console.log(formatPlan(r.plan!, `${when}${levelAt !== undefined ? ' (rehearsal: current cluster and usage)' : ''} [dry run: nothing evicted]`));
      else console.log(formatPlan(r.plan!, when) + `\nEvictions: ${JSON.stringify(r.execution?.outcomes ?? {})}`);
      return;
    }
    const port = Number(f.metricsPort);
    let server: ReturnType<ReturnType<typeof express>['listen']> | null = null;
    if (port > 0) {
      const app = express();
      app.get('/healthz', (_req, res) => void res.send('ok'));
      app.get('/readyz', (_req, res) => void (source.isSynced() ? res.send('ok') : res.status(503).send(source.readiness().reason)));
      app.get('/metrics', async (_req, res) => void res.type(registry.contentType).send(await registry.metrics()));
      server = app.listen(port, f.metricsAddress);
    }
    log.info({ dryRun, leaderElection: !!elector, evictionLedger: ledger ? `${f.leaseNamespace}/${f.leaseName}` : false, interval: f.interval, profile: profile.name }, 'descheduler running');
    await Promise.all([elector?.run(abort.signal), descheduler.run(parseDuration(f.interval), abort.signal)]);
    server?.close();
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    await source.stop();
  }
}
