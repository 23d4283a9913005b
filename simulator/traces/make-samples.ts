// Regenerates the generated traces shipped in simulator/samples/ (the hand-made alibaba-tiny folder
// is not generated). Run: node simulator/traces/make-samples.ts          (writes the files)
//                         node simulator/traces/make-samples.ts --check  (verifies them byte for byte)
// The options below are the whole recipe: the generator is deterministic, and writeTrace stores the
// resolved options in each file's header too.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate, MINUTE, type SyntheticInput } from './synthetic.ts';
import { writeTrace } from './tidal.ts';

export const SAMPLES_DIR = fileURLToPath(new URL('../samples/', import.meta.url));

/** File name -> generator options. */
export const SAMPLES: Record<string, SyntheticInput> = {
  // A co-location cluster as operators see one: 40 nodes (32 cores, 128 GiB, 3 zones) whose 20 online
  // apps request ~70% of the CPU but use 15-30% of what they request, and a batch backlog that always
  // wants more than is idle (~12 jobs an hour, 2-12 pods of 2-12 cores, median runtime 45 min).
  // 8 days from 2026-11-04T00:00+08:00; at 00:00 on 11 November (Asia/Shanghai) online demand jumps
  // 5x within 10 minutes (the flash-sale spike) with 15% more replicas from 22:00. The policy
  // comparison in the demo and the README runs on this trace. Usage every 10 minutes keeps it small.
  'double11-small.jsonl': {
    seed: 11,
    usageStepMs: 10 * MINUTE,
    nodes: { count: 40 },
    online: { apps: 20, replicas: { min: 8, max: 18 }, cpu: { min: 2000, max: 6000 }, level: { min: 0.15, max: 0.3 } },
    double11: { factor: 5, scaleOut: 1.15, rampMs: 10 * MINUTE },
    batch: { jobsPerHour: 12, podsPerJob: { min: 2, max: 12 }, cpu: { min: 2000, max: 12_000 }, runtime: { medianMs: 45 * MINUTE } },
  },
};

function header(input: SyntheticInput): Record<string, unknown> {
  const t = generate(input);
  return { generator: 'synthetic', recipe: 'node simulator/traces/make-samples.ts', options: t.options };
}

/** The digest of the exact bytes a sample file should hold (written to a temporary file by writeTrace). */
export async function expectedDigest(input: SyntheticInput): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tidal-sample-'));
  try {
    const file = join(dir, 'sample.jsonl');
    await writeTrace(generate(input), file, { meta: header(input) });
    return await fileDigest(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function fileDigest(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  let ok = true;
  for (const [name, input] of Object.entries(SAMPLES)) {
    const file = join(SAMPLES_DIR, name);
    if (check) {
      const same = (await fileDigest(file).catch(() => '')) === (await expectedDigest(input));
      console.log(`${same ? 'ok     ' : 'DIFFERS'} ${file}`);
      ok &&= same;
    } else {
      const n = await writeTrace(generate(input), file, { meta: header(input) });
      console.log(`wrote ${file}: ${n} events`);
    }
  }
  if (!ok) process.exitCode = 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
