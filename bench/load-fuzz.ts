// Memory under hostile input: 100,000 fuzzed requests (the generators of test/fuzz: wire-type
// mutations and byte mutations of valid bodies, on all three verbs) against the extender over the
// 5-node sample cluster, in a child process. Reports the server's RSS and heap (after a forced GC)
// before and after, and at checkpoints, the statuses answered, and any 5xx (there must be none).
//   node bench/load-fuzz.ts [--requests 100000] [--distinct 4000] [--sockets 8] [--seed 42]

import fc from 'fast-check';
import { Agent, request } from 'node:http';
import { byteOpsArb, filterArgsArb, filterBody, mutate, mutateBytes, preemptArgsArb } from '../test/fuzz/lib.ts';
import { arg, fmt, machine, writeResults } from './lib.ts';
import { forkServer, pct } from './load-lib.ts';

const total = Number(arg('requests', '100000'));
const distinct = Number(arg('distinct', '4000'));
const sockets = Number(arg('sockets', '8'));
const seed = Number(arg('seed', '42'));

// Distinct request bodies, generated once (the server sees each of them total/distinct times).
type Req = { path: string; body: Buffer };
const reqs: Req[] = [];
const third = Math.ceil(distinct / 3);
for (const [i, a] of fc.sample(filterArgsArb, { numRuns: third, seed }).entries()) {
  reqs.push({ path: `/scheduler/${i % 2 ? 'prioritize' : 'filter'}`, body: Buffer.from(JSON.stringify(mutate(filterBody(a.pod, a.names, a.cache), a.mutations)) ?? 'null') });
}
for (const a of fc.sample(preemptArgsArb, { numRuns: third, seed })) {
  const meta = Object.fromEntries(Object.entries(a.victims).map(([n, uids]) => [n, { Pods: uids.map((UID) => ({ UID })), NumPDBViolations: a.pdb }]));
  reqs.push({ path: '/scheduler/preempt', body: Buffer.from(JSON.stringify(mutate({ Pod: a.pod, NodeNameToVictims: null, NodeNameToMetaVictims: meta }, a.mutations)) ?? 'null') });
}
const valid = Buffer.from(JSON.stringify(filterBody({ metadata: { name: 'web', namespace: 'default', uid: 'u' }, spec: { containers: [{ name: 'c', resources: { requests: { cpu: '1' } } }] } }, ['n1', 'n2', 'n3', 'n4', 'n5'], true)));
for (const [i, ops] of fc.sample(byteOpsArb, { numRuns: distinct - reqs.length, seed }).entries()) {
  reqs.push({ path: `/scheduler/${['filter', 'prioritize', 'preempt'][i % 3]}`, body: Buffer.from(mutateBytes(valid, ops)) });
}

const server = await forkServer(['--cluster', 'sample']);
const agent = new Agent({ keepAlive: true, maxSockets: sockets });
const byStatus = new Map<number, number>();
const ms: number[] = [];
let maxMs = 0;
let transportErrors = 0;

function send(r: Req): Promise<void> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: server.port, path: r.path, method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': r.body.length } }, (res) => {
      res.on('data', () => {});
      res.on('end', () => {
        const d = performance.now() - t0;
        if (ms.length < 200_000) ms.push(d);
        if (d > maxMs) maxMs = d;
        byStatus.set(res.statusCode ?? 0, (byStatus.get(res.statusCode ?? 0) ?? 0) + 1);
        resolve();
      });
    });
    req.on('error', () => {
      transportErrors++;
      resolve();
    });
    req.end(r.body);
  });
}

async function run(from: number, to: number): Promise<void> {
  let next = from;
  await Promise.all(
    Array.from({ length: sockets }, async () => {
      while (next < to) await send(reqs[next++ % reqs.length]!);
    }),
  );
}

console.log(`Fuzz load: ${fmt(total)} requests (${fmt(reqs.length)} distinct fuzzed bodies, seed ${seed}) on ${sockets} keep-alive sockets (${machine().cpus} cores, Node ${machine().node})`);
// Warm-up: every distinct body once (JIT, caches, lazily built structures), then measure.
await run(0, reqs.length);
const before = await server.stats(true);
console.log(`after warm-up (${fmt(reqs.length)} requests): server RSS ${fmt(before.rss / 2 ** 20)} MiB, heap ${fmt(before.heapUsed / 2 ** 20)} MiB`);
const checkpoints: Array<{ requests: number; rssMiB: number; heapMiB: number }> = [];
const t0 = performance.now();
const step = Math.max(1, Math.round(total / 5));
for (let done = 0; done < total; ) {
  const to = Math.min(total, done + step);
  await run(done, to);
  done = to;
  const s = await server.stats(true);
  checkpoints.push({ requests: done, rssMiB: s.rss / 2 ** 20, heapMiB: s.heapUsed / 2 ** 20 });
  console.log(`${fmt(done).padStart(8)} requests: server RSS ${fmt(s.rss / 2 ** 20)} MiB, heap ${fmt(s.heapUsed / 2 ** 20)} MiB`);
}
const elapsed = (performance.now() - t0) / 1000;
const after = await server.stats(true);
await server.stop();
agent.destroy();

const statuses = Object.fromEntries([...byStatus].sort((a, b) => a[0] - b[0]));
const fiveXx = [...byStatus].filter(([s]) => s >= 500).reduce((a, [, n]) => a + n, 0);
console.log(`statuses: ${JSON.stringify(statuses)}; 5xx: ${fiveXx}; transport errors: ${transportErrors}`);
console.log(`${fmt(total / elapsed)} req/s; latency p50 ${fmt(pct(ms, 0.5))} ms, p99 ${fmt(pct(ms, 0.99))} ms, max ${fmt(maxMs)} ms`);
console.log(`server RSS ${fmt(before.rss / 2 ** 20)} -> ${fmt(after.rss / 2 ** 20)} MiB (${after.rss >= before.rss ? '+' : ''}${fmt((after.rss - before.rss) / 2 ** 20)}), heap ${fmt(before.heapUsed / 2 ** 20)} -> ${fmt(after.heapUsed / 2 ** 20)} MiB (after GC)`);
console.log(`results: ${writeResults('load-fuzz', { total, distinct: reqs.length, seed, sockets, statuses, fiveXx, transportErrors, reqPerS: total / elapsed, p50: pct(ms, 0.5), p99: pct(ms, 0.99), maxMs, rss: { before: before.rss, after: after.rss }, heap: { before: before.heapUsed, after: after.heapUsed }, checkpoints })}`);
process.exitCode = fiveXx > 0 || transportErrors > 0 ? 1 : 0;
