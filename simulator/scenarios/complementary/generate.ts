// Generates the complementary-peak scenario (trace.jsonl next to this file): online services whose
// daily peaks come at different hours, redeployed once a day, on a cluster with more nodes than they
// need, so that `tidal plan` (or compare.ts here) can find how few nodes each placement policy needs.
//
//   node simulator/scenarios/complementary/generate.ts [--out FILE] [--check]
//
// Shape (all times UTC, 10 days from Monday 2026-11-02 00:00):
//   24 nodes of 32 cores / 128 GiB in zones a-c.
//   24 online apps in 4 groups of 6 peaking at 02:00, 08:00, 14:00 and 20:00; each app 4 pods of
//   4 cores / 8 GiB requested. A pod uses 30% of its CPU request in its app's trough and 200% (8
//   cores, burstable) at its peak, a Gaussian bump of 2 hours' standard deviation around the peak
//   hour; memory 50-70% of the request; +-5% noise per app every 15 minutes (app-usage events).
//   Requests need 12 nodes; usage at any hour is about 9.6 nodes' worth, so placement decides
//   whether the peaks of a node's tenants pile up.
//   Every app is redeployed once a day (all 4 pods replaced at once), app k at hh:30 with hh = k, so
//   that placements keep happening at every hour of the day after the curves have been learned.
//   No batch: the comparison is about where online services go.
// Deterministic (seeded integer PRNG): --check regenerates in memory and compares with the file.

import { readFileSync, unlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { NodeInfo } from '../../../scheduler/core/model.ts';
import type { Trace, TraceEvent, TracePod } from '../../traces/events.ts';
import { Rng } from '../../traces/rng.ts';
import { writeTrace } from '../../traces/tidal.ts';

export const OPTIONS = {
  seed: 9,
  start: Date.parse('2026-11-02T00:00:00Z'),
  days: 10,
  nodes: 24,
  nodeCpu: 32_000,
  nodeMemGiB: 128,
  peakHours: [2, 8, 14, 20],
  appsPerGroup: 6,
  replicas: 4,
  podCpu: 4000,
  podMemGiB: 8,
  troughCpu: 0.3,
  peakCpu: 2.0,
  widthHours: 2,
  noise: 0.05,
  usageStepMin: 15,
};

const GiB = 2 ** 30;
const H = 3_600_000;

/** Fraction of requests an app uses at hour-of-day h (0..24). */
export function cpuFraction(peakHour: number, h: number, o = OPTIONS): number {
  let d = Math.abs(h - peakHour) % 24;
  if (d > 12) d = 24 - d;
  return o.troughCpu + (o.peakCpu - o.troughCpu) * Math.exp(-(d * d) / (2 * o.widthHours * o.widthHours));
}

export function scenarioTrace(o = OPTIONS): Trace {
  const end = o.start + o.days * 24 * H;
  return {
    info: { format: 'tidal-trace', source: 'scenario:complementary', start: o.start, end, skipped: new Map() },
    events: () => events(o),
  };
}

interface App {
  name: string;
  peak: number;
  index: number;
}

async function* events(o: typeof OPTIONS): AsyncGenerator<TraceEvent> {
  const rng = new Rng(o.seed, 'complementary');
  const apps: App[] = [];
  o.peakHours.forEach((peak, g) => {
    for (let k = 0; k < o.appsPerGroup; k++) apps.push({ name: `svc-${String.fromCharCode(97 + g)}${k}`, peak, index: 0 });
  });
  // Interleave groups so that redeploy hours do not line up with peak groups.
  apps.sort((a, b) => (a.name.slice(-1) < b.name.slice(-1) ? -1 : a.name.slice(-1) > b.name.slice(-1) ? 1 : a.name < b.name ? -1 : 1));
  apps.forEach((a, i) => (a.index = i));
  for (let i = 0; i < o.nodes; i++) {
    const zone = `zone-${'abc'[i % 3]}`;
    const node: NodeInfo = {
      name: `node-${String(i).padStart(3, '0')}`,
      allocatable: { cpu: o.nodeCpu, memory: o.nodeMemGiB * GiB },
      maxPods: 110,
      labels: { 'kubernetes.io/hostname': `node-${String(i).padStart(3, '0')}`, 'topology.kubernetes.io/zone': zone },
      zone,
      unschedulable: false,
    };
    yield { type: 'node-add', time: o.start, node };
  }
  const live = new Map<string, string[]>();
  let generation = 0;
  const deploy = function* (a: App, t: number): Generator<TraceEvent> {
    for (const uid of live.get(a.name) ?? []) yield { type: 'pod-end', time: t, uid };
    const uids: string[] = [];
    for (let r = 0; r < o.replicas; r++) {
      const uid = `${a.name}-g${generation}-${r}`;
      uids.push(uid);
      const pod: TracePod = {
        uid,
        namespace: 'online',
        name: uid,
        class: 'online',
        app: a.name,
        priority: 9000,
        requests: { cpu: o.podCpu, memory: o.podMemGiB * GiB },
        runtimeMs: 0,
        declaredRuntimeMs: 0,
        checkpointable: false,
        job: '',
      };
      yield { type: 'pod-arrival', time: t, pod };
    }
    live.set(a.name, uids);
  };
  generation++;
  for (const a of apps) yield* deploy(a, o.start);
  const step = o.usageStepMin * 60_000;
  const redeployOffset = 30 * 60_000;
  for (let t = o.start; t < o.start + o.days * 24 * H; t += step) {
    const h = ((t - o.start) % (24 * H)) / H;
    // Redeploys due in (t - step, t]: app k at k:30 every day after the first.
    if (t - o.start >= 24 * H) {
      for (const a of apps) {
        const due = Math.floor((t - o.start) / (24 * H)) * 24 * H + o.start + (a.index % 24) * H + redeployOffset;
        if (due > t - step && due <= t) {
          generation++;
          yield* deploy(a, t);
        }
      }
    }
    for (const a of apps) {
      const n = 1 + o.noise * (2 * rng.next() - 1);
      const cpu = cpuFraction(a.peak, h, o) * n;
      const mem = (0.5 + (0.2 * (cpuFraction(a.peak, h, o) - o.troughCpu)) / (o.peakCpu - o.troughCpu)) * n;
      yield { type: 'app-usage', time: t, app: a.name, cpu: Math.round(cpu * 1e4) / 1e4, memory: Math.round(mem * 1e4) / 1e4 };
    }
  }
}

export const TRACE_FILE = fileURLToPath(new URL('./trace.jsonl', import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--out');
  const out = i > 0 ? process.argv[i + 1]! : TRACE_FILE;
  if (process.argv.includes('--check')) {
    const tmp = `${out}.check`;
    await writeTrace(scenarioTrace(), tmp, { meta: { generator: 'simulator/scenarios/complementary/generate.ts', options: OPTIONS } });
    const same = readFileSync(tmp, 'utf8') === readFileSync(out, 'utf8');
    unlinkSync(tmp);
    console.log(same ? `${out}: up to date` : `${out}: differs from the generator's output`);
    process.exit(same ? 0 : 1);
  }
  const n = await writeTrace(scenarioTrace(), out, { meta: { generator: 'simulator/scenarios/complementary/generate.ts', options: OPTIONS } });
  console.log(`wrote ${n} events to ${out}`);
}
