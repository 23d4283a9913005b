// Synthetic generator throughput. Run: node bench/traces-generate.ts [--days D]   (node = node_modules/.bin/node, Node 24)
// Cases (each in its own child process, so that its peak RSS is its own):
//   default  the defaults (50 nodes, 8 days): generate and count events;
//   write    double11-small's options, written to a temporary .jsonl with writeTrace;
//   alibaba  alibabaDensity(4000) (4,000 nodes of 96 cores, ~8,300 apps, ~70,000 containers,
//            ~0.5 M batch pods a day) for D days (default 1; --days 8 is the full Alibaba-2018-sized
//            trace): generate and count, to show the generator streams in bounded memory.

import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SAMPLES } from '../simulator/traces/make-samples.ts';
import { alibabaDensity, generate, type SyntheticInput } from '../simulator/traces/synthetic.ts';
import { writeTrace } from '../simulator/traces/tidal.ts';

const daysArg = process.argv.indexOf('--days');
const DAYS = daysArg > 0 ? Number(process.argv[daysArg + 1]) : 1;

// Sampled from inside the loops: a timer would not fire while they run on microtasks only.
let peakRss = 0;
const sampleRss = (): void => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};

function report(name: string, n: number, ms: number, extra = ''): void {
  console.log(
    `${name.padEnd(48)} ${String(n).padStart(11)} events  ${ms.toFixed(0).padStart(7)} ms  ${Math.round(n / (ms / 1000)).toLocaleString('en-US').padStart(10)} ev/s  peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB${extra}`,
  );
}

async function count(name: string, input: SyntheticInput): Promise<void> {
  const t0 = performance.now();
  const byType: Record<string, number> = {};
  let n = 0;
  for await (const e of generate(input).events()) {
    byType[e.type] = (byType[e.type] ?? 0) + 1;
    if ((++n & 0xffff) === 0) sampleRss();
  }
  sampleRss();
  report(name, n, performance.now() - t0, `\n${' '.repeat(50)}${JSON.stringify(byType)}`);
}

const CASES: Record<string, () => Promise<void>> = {
  default: () => count('defaults (50 nodes, 8 days)', {}),
  write: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tidal-bench-'));
    try {
      const file = join(dir, 'd11.jsonl');
      const t0 = performance.now();
      const n = await writeTrace(generate(SAMPLES['double11-small.jsonl']!), file);
      const ms = performance.now() - t0;
      sampleRss();
      const { size } = await stat(file);
      report('double11-small options, writeTrace to .jsonl', n, ms, `  ${(size / 2 ** 20 / (ms / 1000)).toFixed(0)} MiB/s`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
  alibaba: () => count(`alibabaDensity(4000), ${DAYS} day(s)`, alibabaDensity(4000, { days: DAYS })),
};

const only = process.argv.indexOf('--case');
if (only > 0) {
  await CASES[process.argv[only + 1]!]!();
} else {
  console.log(`node ${process.version}`);
  for (const name of Object.keys(CASES)) {
    execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--case', name, '--days', String(DAYS)], { stdio: 'inherit' });
  }
}
