// The shipped comparison scenarios: four synthetic weeks that make the policies' differences
// visible, small enough for CI (24 nodes, usage every 10 minutes, gzip-compressed JSON Lines).
//   node simulator/scenarios/make.ts          writes the .jsonl.gz files next to this script
//   node simulator/scenarios/make.ts --check  verifies them (digest of the decompressed events)
// The options below are the whole recipe: the generator is deterministic, and each file's header
// stores the resolved options. The check compares decompressed text, so a zlib that compresses
// differently does not make it fail.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { generate, HOUR, MINUTE, type SyntheticInput } from '../traces/synthetic.ts';
import { writeTrace } from '../traces/tidal.ts';

export const SCENARIOS_DIR = fileURLToPath(new URL('./', import.meta.url));

export interface Scenario {
  /** File name in SCENARIOS_DIR. */
  file: string;
  title: string;
  /** What the scenario shows, for the comparison document. */
  about: string;
  /** The profile time-sharing follows (and volcano-tdm takes its window from), relative to the repository root. */
  profile: string;
  input: SyntheticInput;
}

/** The cluster the scenarios share: 24 nodes of 32 cores / 128 GiB and 12 online apps whose requests take most of its CPU. */
const CLUSTER: SyntheticInput = {
  usageStepMs: 10 * MINUTE,
  days: 7,
  nodes: { count: 24 },
  online: { apps: 12, replicas: { min: 8, max: 18 }, cpu: { min: 2000, max: 6000 }, level: { min: 0.15, max: 0.3 } },
  batch: { jobsPerHour: 6, podsPerJob: { min: 2, max: 10 }, cpu: { min: 2000, max: 10_000 }, runtime: { medianMs: 45 * MINUTE } },
};

function merge(a: SyntheticInput, b: SyntheticInput): SyntheticInput {
  return { ...a, ...b, nodes: { ...a.nodes, ...b.nodes }, online: { ...a.online, ...b.online }, batch: { ...a.batch, ...b.batch }, double11: { ...a.double11, ...b.double11 } };
}

export const SCENARIOS: readonly Scenario[] = [
  {
    file: 'normal-week.jsonl.gz',
    title: 'A normal week',
    about: 'Seven ordinary days (Mon 16 Nov 2026 on, Asia/Shanghai): online demand follows its daily curve, batch arrives mostly at night. Profile: profiles/daily-tidal.yaml.',
    profile: 'profiles/daily-tidal.yaml',
    input: merge(CLUSTER, { seed: 101, start: '2026-11-16T00:00:00+08:00', double11: { enabled: false } }),
  },
  {
    file: 'double11-week.jsonl.gz',
    title: 'A Double 11 week',
    about: 'Thu 5 to Wed 11 Nov 2026 on a cluster sized for its peak (32 nodes): at 00:00 on 11 November online demand jumps 5x within 10 minutes, with 30% more replicas from 22:00. The profile foresees it. Profile: profiles/double11.yaml.',
    profile: 'profiles/double11.yaml',
    // 32 nodes, not the others' 24: on 24 the 30 % scale-out asks ~120 % of the CPU in requests and no
    // policy can place it (40 replicas wait 10 h under every policy), so the week would measure nothing
    // at the peak. 32 is the fewest on which kube-default places every replica within the minute.
    input: merge(CLUSTER, { seed: 111, start: '2026-11-05T00:00:00+08:00', nodes: { count: 32 }, double11: { enabled: true, at: '2026-11-11T00:00:00+08:00', factor: 5, rampMs: 10 * MINUTE, scaleOut: 1.3 } }),
  },
  {
    file: 'surprise-surge.jsonl.gz',
    title: 'A surprise surge',
    about: 'A normal week, but on Wed 18 Nov 2026 at 14:00 online demand triples within 30 minutes (a viral event) and apps scale out 40% from 13:30: no profile window foresees it. Profile: profiles/daily-tidal.yaml.',
    profile: 'profiles/daily-tidal.yaml',
    input: merge(CLUSTER, {
      seed: 118,
      start: '2026-11-16T00:00:00+08:00',
      double11: { enabled: true, at: '2026-11-18T14:00:00+08:00', factor: 3, rampMs: 30 * MINUTE, decayMs: 4 * HOUR, scaleOut: 1.4, scaleOutLeadMs: 30 * MINUTE, scaleOutHoldMs: 6 * HOUR },
    }),
  },
  {
    file: 'long-batch.jsonl.gz',
    title: 'Long non-checkpointable batch',
    about: 'A normal week whose batch is long (median 3 h, up to 20 h) and rarely checkpoints (5% of jobs); 90% of jobs declare their runtime. Profile: profiles/daily-tidal.yaml.',
    profile: 'profiles/daily-tidal.yaml',
    input: merge(CLUSTER, {
      seed: 120,
      start: '2026-11-16T00:00:00+08:00',
      double11: { enabled: false },
      batch: { jobsPerHour: 2, podsPerJob: { min: 2, max: 8 }, runtime: { medianMs: 3 * HOUR, sigma: 0.8, minMs: 20 * MINUTE, maxMs: 20 * HOUR }, checkpointable: 0.05, declared: 0.9 },
    }),
  },
  {
    file: 'batch-backlog.jsonl.gz',
    title: 'A standing batch backlog',
    about: 'A normal week with five times the batch (30 jobs an hour on average, still mostly at night): more than the idle capacity can carry, as on a co-located cluster whose batch queue never empties, so the policies differ in how much of the idle capacity they hand to batch. Profile: profiles/daily-tidal.yaml.',
    profile: 'profiles/daily-tidal.yaml',
    // 30 jobs/h x 6 pods x 6 cores x 0.75 h asks ~800 cores of batch on average, beside online usage of
    // 15-30 % of requests: more than the 768 cores of the 24 nodes, so batch volume is decided by the
    // room each policy reclaims and keeps, not by the arrivals.
    input: merge(CLUSTER, { seed: 130, start: '2026-11-16T00:00:00+08:00', double11: { enabled: false }, batch: { jobsPerHour: 30 } }),
  },
];

function header(s: Scenario): Record<string, unknown> {
  return { generator: 'synthetic', recipe: 'node simulator/scenarios/make.ts', scenario: s.title, profile: s.profile, options: generate(s.input).options };
}

/** sha256 of a (possibly gzip-compressed) file's decompressed bytes. */
export async function contentDigest(file: string): Promise<string> {
  const h = createHash('sha256');
  const src = createReadStream(file);
  // The source's error is forwarded, so that a missing or unreadable file rejects this promise
  // instead of throwing from an unhandled 'error' event (pipe() does not forward it).
  const gunzip = file.endsWith('.gz') ? createGunzip() : null;
  if (gunzip) src.on('error', (e) => gunzip.destroy(e));
  const stream = gunzip ? src.pipe(gunzip) : src;
  for await (const chunk of stream) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The digest the scenario's file should have. */
export async function expectedDigest(s: Scenario): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tidal-scenario-'));
  try {
    const file = join(dir, 'scenario.jsonl');
    await writeTrace(generate(s.input), file, { meta: header(s) });
    return await contentDigest(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  let ok = true;
  for (const s of SCENARIOS) {
    const file = join(SCENARIOS_DIR, s.file);
    if (check) {
      const actual = await contentDigest(file).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? 'MISSING' : `UNREADABLE (${e.message})`));
      const same = actual === (await expectedDigest(s));
      console.log(`${same ? 'ok     ' : actual.startsWith('MISSING') || actual.startsWith('UNREADABLE') ? actual : 'DIFFERS'} ${file}`);
      ok &&= same;
    } else {
      const n = await writeTrace(generate(s.input), file, { meta: header(s) });
      console.log(`wrote ${file}: ${n} events`);
    }
  }
  if (!ok) process.exitCode = 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
