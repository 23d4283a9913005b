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
  // 50 nodes (32 cores, 128 GiB, 3 zones) and 16 online apps (~700 cores requested) as in the
  // defaults, 8 days from 2026-11-04T00:00+08:00 with the Double 11 peak (x4, scale-out x2) at
  // 2026-11-11T00:00+08:00. Batch is heavier than the defaults (2-16 cores a pod, median runtime
  // 1 h: ~400 cores busy on average, a quarter of the cluster) so that it competes with the surge.
  // Usage every 10 minutes instead of 5 keeps the file near 3.5 MB.
  'double11-small.jsonl': {
    seed: 11,
    usageStepMs: 10 * MINUTE,
    batch: { cpu: { min: 2000, max: 16_000 }, runtime: { medianMs: 60 * MINUTE } },
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
