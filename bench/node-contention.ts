// Per-node contention model at the engine's scale: resolveNode once per node per sample for a
// 2000-node cluster with 30 pods a node (20 online, 2 system, 8 batch), in three regimes: the fast
// path (everything fits), CPU oversubscribed (batch shares the rest), and memory oversubscribed (OOM
// kills on every node). Reports ns per node-sample and the cost of one whole-cluster sample.
//   node bench/node-contention.ts [--nodes 2000] [--samples 200]

import { BATCH, ContentionResult, ContentionWorkspace, ONLINE, PodBuffer, resolveNode, SYSTEM } from '../simulator/node/contention.ts';
import { arg, machine, profileIfAsked, stats, table, writeResults } from './lib.ts';

profileIfAsked(import.meta.url);
const nodes = Number(arg('nodes', '2000'));
const samples = Number(arg('samples', '200'));
const GiB = 2 ** 30;
const NODE = { cpu: 32_000, memory: 128 * GiB };

const IDS = Array.from({ length: 30 }, (_, i) => `pod-${i}`);

/** Pod demands for a regime; varied per node so the sort sees unequal keys. */
function fill(buf: PodBuffer, n: number, s: number, batchCpu: number, batchMem: number): void {
  buf.reset();
  const jitter = ((n * 7 + s * 13) % 17) / 17;
  for (let i = 0; i < 20; i++) buf.push(ONLINE, 600 + 40 * i * jitter, 800, 3 * GiB, 500, 1000, IDS[i]!);
  for (let i = 0; i < 2; i++) buf.push(SYSTEM, 200, 100, GiB / 2, -997, 2000, IDS[20 + i]!);
  for (let i = 0; i < 8; i++) buf.push(BATCH, batchCpu * (0.5 + ((i + s) % 5) / 5), 1000, batchMem * (0.5 + (i % 3) / 3), 1000, 0, IDS[22 + i]!);
}

const regimes: ReadonlyArray<readonly [string, number, number, boolean]> = [
  ['filling the buffer only', 1000, 4 * GiB, false],
  ['fits (fast path)', 1000, 4 * GiB, true],
  ['CPU oversubscribed', 4000, 4 * GiB, true],
  ['memory oversubscribed (OOM)', 1000, 12 * GiB, true],
];

const buf = new PodBuffer(32);
const ws = new ContentionWorkspace();
const out = new ContentionResult();
const opts = { intervalMs: 60_000 };
// Warm every regime up first, so the first one measured does not pay for the JIT.
for (const [, batchCpu, batchMem] of regimes) for (let s = 0; s < 20; s++) for (let n = 0; n < nodes; n++) {
  fill(buf, n, s, batchCpu, batchMem);
  resolveNode(NODE, buf, opts, ws, out);
}
const rows: Array<{ regime: string; nsPerNode: number; msPerSample: number; contended: number; oomKills: number }> = [];
for (const [regime, batchCpu, batchMem, resolve] of regimes) {
  const t: number[] = [];
  let contended = 0;
  let oomKills = 0;
  for (let s = 0; s < samples + 5; s++) {
    const t0 = performance.now();
    for (let n = 0; n < nodes; n++) {
      fill(buf, n, s, batchCpu, batchMem);
      if (!resolve) continue;
      resolveNode(NODE, buf, opts, ws, out);
      if (s === 0) {
        contended += out.cpuContended ? 1 : 0;
        oomKills += out.oomKillCount;
      }
    }
    if (s >= 5) t.push(performance.now() - t0);
  }
  const st = stats(t);
  rows.push({ regime, nsPerNode: (st.median * 1e6) / nodes, msPerSample: st.median, contended, oomKills });
}

console.log(`Node contention: ${nodes} nodes x 30 pods, ${samples} samples (${machine().cpus} cores, ${machine().model}, Node ${machine().node}); includes filling the pod buffer`);
console.log(table(['regime', 'ns / node-sample (median)', 'ms / cluster sample', 'contended nodes', 'OOM kills / sample'], rows.map((r) => [r.regime, r.nsPerNode, r.msPerSample, r.contended, r.oomKills])));
console.log(`results: ${writeResults('node-contention', { nodes, samples, rows })}`);
