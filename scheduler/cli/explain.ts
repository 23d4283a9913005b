// tidal explain node NAME: a node's batch capacity with the formula's terms as numbers (its forecast
// by slot, the band, the committed batch, the events in force, the capacity now and over the coming
// hours), from a snapshot (--state) or a live cluster (--kubeconfig, read once as the extender reads
// it: scheduler/kube/watcher.ts through cli/state-source.ts). The engine is the extender's (the policy's ForecastCapacity args
// and its forecast book), so the figure is the one the extender admits by.

import type { Command } from 'commander';
import { loadProfileFile } from '../../profiles/loader.ts';
import { resolvePolicyConfig } from '../config/policy-loader.ts';
import { VirtualClock } from '../core/clock.ts';
import { PolicyEngine } from '../core/engine.ts';
import { explainNode, type NodeExplanation } from '../core/forecast/explain.ts';
import { forecastBookOf, forecastCapacityArgs } from '../core/plugins/forecast-capacity.ts';
import { constantProfile, forecastModeProfile } from '../core/profile.ts';
import { ClusterState } from '../core/state.ts';
import { ProfileTimeline } from '../core/timeline.ts';
import { loadSnapshotFile } from '../kube/snapshot.ts';
import { loadClusterOnce } from './state-source.ts';
import { formatTime, parseTime } from './time.ts';

interface Flags {
  state?: string;
  kubeconfig?: string;
  profile?: string;
  config?: string;
  at?: string;
  json?: boolean;
  slots: string;
}

export function register(program: Command): void {
  const explain = program.command('explain').description("explain Tidal's decisions with their terms as numbers");
  explain
    .command('node <name>')
    .description("a node's batch capacity from its forecast: the forecast by 15-minute slot, the band, committed batch, events in force, the capacity now and over the coming hours")
    .option('--state <file>', 'cluster snapshot (JSON/YAML ClusterSnapshot or kubectl List)')
    .option('--kubeconfig <file>', 'a live cluster, read once (nodes, pods, PDBs, one metrics.k8s.io poll) as the extender reads it; the default when there is no --state ($KUBECONFIG, in-cluster, ~/.kube/config)')
    .option('--profile <file>', 'time-sharing profile YAML (its dated windows and online-demand events); none: the forecast alone')
    .option('--config <file>', 'TidalConfig YAML (the ForecastCapacity args); default: the time-sharing preset (the forecast mode)')
    .option('--at <time>', 'the instant to explain (ISO 8601; local to the profile zone without an offset)', 'now')
    .option('--json', 'print the explanation as JSON')
    .option('--slots <n>', 'slots of the forecast to print (text output)', '16')
    .action(async (name: string, f: Flags) => {
      process.stdout.write(f.state ? runExplainNode(name, f) : await runExplainNodeLive(name, f));
    });
}

interface Setup {
  profile: ReturnType<typeof forecastModeProfile>;
  now: number;
  config: ReturnType<typeof resolvePolicyConfig>;
  state: ClusterState;
}

function setup(f: Flags): Setup {
  if (f.state && f.kubeconfig) throw new Error('--state and --kubeconfig exclude each other: explain a snapshot or a live cluster');
  // As the extender and the descheduler run by default: the profile in forecast mode.
  const profile = forecastModeProfile(f.profile ? loadProfileFile(f.profile) : constantProfile({ batchShare: 1, onlineHeadroom: 0 }, 'forecast-only'));
  const now = parseTime(f.at ?? 'now', profile.timeZone);
  const base = resolvePolicyConfig(f.config, 'time-sharing');
  const config = base.filters.includes('ForecastCapacity') ? base : { ...base, filters: [...base.filters, 'ForecastCapacity'] };
  return { profile, now, config, state: new ClusterState(config.usage) };
}

/** From a snapshot file (--state). */
export function runExplainNode(name: string, f: Flags): string {
  if (!f.state) throw new Error('--state <file> is required (or --kubeconfig: runExplainNodeLive)');
  const s = setup(f);
  loadSnapshotFile(f.state, s.state, { clock: new VirtualClock(s.now), classification: s.config.classification, file: f.state });
  return explainLoaded(name, f, s, f.state);
}

/**
 * From a live cluster (--kubeconfig, or the default kubeconfig): read once as the extender's watcher
 * reads it, with its clock at --at (pods bound, usage sampled, at that instant), then explained as a
 * snapshot would be.
 */
export async function runExplainNodeLive(name: string, f: Flags): Promise<string> {
  const s = setup(f);
  const r = await loadClusterOnce({ kubeconfig: f.kubeconfig, state: s.state, clock: new VirtualClock(s.now), classification: s.config.classification });
  return explainLoaded(name, f, s, r.server);
}

function explainLoaded(name: string, f: Flags, s: Setup, from: string): string {
  const { profile, now, config, state } = s;
  const args = forecastCapacityArgs(config);
  const node = state.nodes.get(name);
  if (!node) throw new Error(`node ${JSON.stringify(name)} is not in ${from}; nodes: ${[...state.nodes.keys()].join(', ')}`);
  const timeline = new ProfileTimeline(profile);
  const engine = new PolicyEngine({ config, state, profile: timeline });
  const x = explainNode(state, node, timeline, forecastBookOf(engine.handle, args), now, args);
  if (f.json) return JSON.stringify(x, (_k, v) => (v === Infinity ? 'never' : v), 2) + '\n';
  return formatExplanation(x, profile.timeZone, Number(f.slots));
}

const cores = (m: number) => (m / 1000).toFixed(2);
const gib = (b: number) => (b / 2 ** 30).toFixed(1);

export function formatExplanation(x: NodeExplanation, zone: string, nSlots = 16): string {
  const t = (ms: number) => formatTime(ms, zone);
  const L: string[] = [];
  L.push(`node ${x.node} at ${t(x.now)}`);
  L.push(`  ${x.formula}`);
  L.push(`  allocatable ${cores(x.allocatable.cpu)} cores, ${gib(x.allocatable.memory)} GiB; target ${x.target} (the drain's ceiling), admitted up to ${+(x.target - x.admissionMargin).toFixed(4)}; band quantile ${x.quantile} (z ${x.z.toFixed(3)})`);
  L.push(`  residual (usage beyond the tenants' curves) ${cores(x.residual.cpu)} cores, ${gib(x.residual.memory)} GiB; ${x.coldStart} tenant(s) at requests (no curve yet); usage ${x.fresh ? 'fresh' : 'stale or none (requests count)'}`);
  if (x.aboveBand) L.push(`  ABOVE BAND: the latest sample ran ${cores(x.aboveBand.cpu)} cores, ${gib(x.aboveBand.memory)} GiB above the previous forecast's band (the forecast drain relieves it this cycle)`);
  L.push(`  profile level now: window ${x.level.window}, batchShare ${x.level.batchShare.toFixed(2)}, onlineHeadroom ${x.level.onlineHeadroom.toFixed(2)}${x.level.drainingFor ? `, draining for ${x.level.drainingFor}` : ''}`);
  L.push(`batch capacity now: ${cores(x.capacityNow.cpu)} cores, ${gib(x.capacityNow.memory)} GiB`);
  L.push('batch capacity over the coming hours (least over the span, and where):');
  for (const s of x.spans) L.push(`  ${String(s.hours).padStart(2)} h  cpu ${cores(s.cpu).padStart(7)} (at ${t(s.atCpu)})  memory ${gib(s.memory).padStart(6)} GiB (at ${t(s.atMemory)})`);
  L.push(`committed batch (${x.batch.length} pod(s); CPU at ${x.batchCpu === 'usage' ? "its owner's usage per request, its request until seen" : 'its request'}, memory at its request):`);
  for (const b of x.batch) L.push(`  ${b.pod}  ${cores(b.cpu)} cores${b.cpu !== b.cpuRequest ? ` (of ${cores(b.cpuRequest)} requested)` : ''}, ${gib(b.memory)} GiB ${b.until <= x.now + 1 ? 'in this slot only (past its declared runtime)' : `until ${t(b.until)} (${b.runtime} runtime)`}`);
  L.push(`forecast by slot (first ${Math.min(nSlots, x.slots.length)} of ${x.slots.length}; cores / GiB):`);
  L.push('  slot start                 cpu: mean    sd margin  upper commit   free | mem: upper commit   free | events');
  for (const s of x.slots.slice(0, nSlots)) {
    const c = s.cpu;
    const m = s.memory;
    const ev = s.events.map((e) => `${e.window} ${e.factor.toFixed(2)}x${e.memoryFactor !== e.factor ? ` (memory ${e.memoryFactor.toFixed(2)}x)` : ''} of ${e.of}`).join(', ');
    L.push(
      `  ${t(s.start).padEnd(25)} ${[c.mean, c.sd, c.margin, c.upper, c.committed, c.free].map((v) => cores(v).padStart(6)).join(' ')} | ${[m.upper, m.committed, m.free].map((v) => gib(v).padStart(6)).join(' ')} | ${ev}`,
    );
  }
  return L.join('\n') + '\n';
}
