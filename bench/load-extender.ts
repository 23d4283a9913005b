// Bounded load test of the extender on loopback: the webhook in a child process over the bench
// cluster (5000 nodes x 30 pods, nodeCacheCapable: names only), driven open-loop at a fixed rate of
// filter and prioritize requests (kube-scheduler's two calls per pod, alternating online and batch
// pods) for a fixed duration; it stops by itself. Prints p50/p99 per interval, then the totals,
// the server's degraded answers (decision budget) and RSS; writes bench/results/load-extender.json.
// Latency is measured from when each request was due, so a client or server falling behind shows.
// --list adaptive (default) sends what kube-scheduler sends: the numFeasibleNodesToFind nodes that
// passed its own filters (10% of 5000), from a start that rotates per pod; --list all sends every node.
//   node bench/load-extender.ts [--rate 2000] [--duration 60] [--nodes 5000] [--list adaptive|all] [--interval 5] [--sockets 32] [--budget-ms 500]

import { Agent, request } from 'node:http';
import { numFeasibleNodesToFind } from '../scheduler/core/engine.ts';
import { arg, fmt, machine, table, writeResults } from './lib.ts';
import { forkServer, histogramQuantile, metricSum, namesBody, pct, pendingPod } from './load-lib.ts';

const rate = Number(arg('rate', '2000'));
const durationS = Number(arg('duration', '60'));
const nodes = Number(arg('nodes', '5000'));
const intervalS = Number(arg('interval', '5'));
const sockets = Number(arg('sockets', '32'));
const budgetMs = arg('budget-ms', '500');
const list = arg('list', 'adaptive');
if (list !== 'adaptive' && list !== 'all') throw new Error(`--list ${list}: expected adaptive or all`);
if (!(rate > 0 && durationS > 0 && durationS <= 600)) throw new Error('--rate must be > 0 and --duration within 1..600 s');

console.error(`starting the extender over ${nodes} nodes ...`);
const server = await forkServer(['--cluster', 'bench', '--nodes', String(nodes), '--budget-ms', budgetMs]);
const listSize = list === 'all' ? server.names.length : numFeasibleNodesToFind(server.names.length, 0);
/** The names kube-scheduler would send for the k-th pod: listSize of them from a rotating start. */
const namesFor = (k: number): string[] => Array.from({ length: listSize }, (_, i) => server.names[(k * listSize + i) % server.names.length]!);
const bodies = Array.from({ length: 64 }, (_, k) => Buffer.from(namesBody(pendingPod(k, k % 2 ? 'batch' : 'online'), namesFor(k))));
const agent = new Agent({ keepAlive: true, maxSockets: sockets });

interface Slot {
  ms: number[];
  ok: number;
  errors: number;
}
const newSlot = (): Slot => ({ ms: [], ok: 0, errors: 0 });
let slot = newSlot();
const all: number[] = [];
let ok = 0;
let errors = 0;
const errorKinds = new Map<string, number>();
let inFlight = 0;
let maxInFlight = 0;
/** Set once the run is over: requests still queued then are reported as unfinished, not as errors. */
let finished = false;

function fire(k: number, due: number): void {
  const verb = k % 2 === 0 ? 'filter' : 'prioritize';
  const body = bodies[(k >> 1) % bodies.length]!;
  inFlight++;
  if (inFlight > maxInFlight) maxInFlight = inFlight;
  const done = (err: string | null): void => {
    if (finished) return;
    inFlight--;
    const ms = performance.now() - due;
    if (err === null) {
      ok++;
      slot.ok++;
      slot.ms.push(ms);
      all.push(ms);
    } else {
      errors++;
      slot.errors++;
      errorKinds.set(err, (errorKinds.get(err) ?? 0) + 1);
    }
  };
  const req = request({ host: '127.0.0.1', port: server.port, path: `/scheduler/${verb}`, method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': body.length } }, (res) => {
    res.on('data', () => {});
    res.on('end', () => done(res.statusCode === 200 ? null : `HTTP ${res.statusCode}`));
    res.on('error', (e) => done(e.message));
  });
  req.on('error', (e) => done((e as NodeJS.ErrnoException).code ?? e.message));
  req.end(body);
}

// Warm-up: a second at a tenth of the rate (JIT, caches), not counted.
for (let k = 0; k < Math.max(20, rate / 10); k++) fire(k, performance.now());
await new Promise((r) => setTimeout(r, 1000));
const before = await server.stats(true);
const warmOk = ok;
ok = 0;
errors = 0;
all.length = 0;
slot = newSlot();
void warmOk;

console.log(`Extender load: ${rate} req/s (filter and prioritize alternating) for ${durationS} s over ${nodes} nodes, nodeCacheCapable, ${listSize} names per request (${list}), ${sockets} keep-alive sockets, budget ${budgetMs} ms (${machine().cpus} cores, ${machine().model}, Node ${machine().node})`);
const rows: Array<Array<string | number>> = [];
const intervals: Array<{ t: number; sent: number; ok: number; errors: number; reqPerS: number; p50: number; p99: number; max: number; rssMiB: number }> = [];
const t0 = performance.now();
let sent = 0;
let sentAtSlot = 0;
let nextReport = t0 + intervalS * 1000;
const endAt = t0 + durationS * 1000;
await new Promise<void>((resolve) => {
  const tick = async (): Promise<void> => {
    const now = performance.now();
    // Open loop: every request due by now is sent now, stamped with when it was due.
    const due = Math.min(now, endAt);
    while (sent < ((due - t0) / 1000) * rate) {
      fire(sent, t0 + (sent / rate) * 1000);
      sent++;
    }
    if (now >= nextReport || now >= endAt) {
      const s = slot;
      slot = newSlot();
      const stats = await server.stats();
      const row = { t: Math.round((now - t0) / 1000), sent: sent - sentAtSlot, ok: s.ok, errors: s.errors, reqPerS: s.ok / intervalS, p50: pct(s.ms, 0.5), p99: pct(s.ms, 0.99), max: pct(s.ms, 1), rssMiB: stats.rss / 2 ** 20 };
      sentAtSlot = sent;
      intervals.push(row);
      console.log(`t=${String(row.t).padStart(4)} s  sent ${fmt(row.sent)}  ok ${fmt(row.ok)}  errors ${row.errors}  ${fmt(row.reqPerS)} req/s  p50 ${fmt(row.p50)} ms  p99 ${fmt(row.p99)} ms  max ${fmt(row.max)} ms  server RSS ${fmt(row.rssMiB)} MiB`);
      nextReport += intervalS * 1000;
    }
    if (now >= endAt) return resolve();
    setTimeout(tick, 2);
  };
  void tick();
});
// Let the last requests finish (bounded).
for (let i = 0; i < 100 && inFlight > 0; i++) await new Promise((r) => setTimeout(r, 50));
const elapsed = (performance.now() - t0) / 1000;
finished = true;
agent.destroy();
const after = await server.stats(true);
await server.stop();

const degraded = metricSum(after.metrics, 'tidal_extender_degraded_answers_total') - metricSum(before.metrics, 'tidal_extender_degraded_answers_total');
const served = metricSum(after.metrics, 'tidal_extender_requests_total', 'code="200"') - metricSum(before.metrics, 'tidal_extender_requests_total', 'code="200"');
const total = { sent, ok, errors, unfinished: inFlight, reqPerS: ok / elapsed, p50: pct(all, 0.5), p99: pct(all, 0.99), p999: pct(all, 0.999), max: pct(all, 1), maxInFlight, degraded, served };
rows.push(['total', sent, ok, total.errors, inFlight, total.reqPerS, total.p50, total.p99, total.p999, total.max]);
console.log(table(['', 'sent', 'ok', 'errors', 'unfinished', 'req/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms'], rows));
if (inFlight > 0) console.log(`${inFlight} requests were still queued ${5} s after the end: the offered rate is above what this machine serves`);
console.log(`degraded answers (decision budget exceeded): ${degraded} of ${served}; most requests in flight at once: ${maxInFlight}`);
// The server's own view (arrival to answer, its histogram): excludes the time requests queued in the client.
const H = 'tidal_extender_request_duration_seconds';
const serverSide = { p50: histogramQuantile(before.metrics, after.metrics, H, 0.5, 'code="200"') * 1000, p99: histogramQuantile(before.metrics, after.metrics, H, 0.99, 'code="200"') * 1000 };
console.log(`server-side latency (histogram bucket bounds): p50 <= ${fmt(serverSide.p50)} ms, p99 <= ${fmt(serverSide.p99)} ms`);
if (errorKinds.size > 0) console.log(`errors: ${JSON.stringify(Object.fromEntries(errorKinds))}`);
console.log(`server RSS ${fmt(before.rss / 2 ** 20)} -> ${fmt(after.rss / 2 ** 20)} MiB, heap ${fmt(before.heapUsed / 2 ** 20)} -> ${fmt(after.heapUsed / 2 ** 20)} MiB (after GC)`);
const p99s = intervals.filter((r) => r.ok > 0).map((r) => r.p99);
console.log(`p99 per interval: min ${fmt(Math.min(...p99s))}, max ${fmt(Math.max(...p99s))} ms`);
console.log(`results: ${writeResults('load-extender', { rate, durationS, nodes, list, listSize, sockets, budgetMs: Number(budgetMs), total, serverSide, intervals, rss: { before: before.rss, after: after.rss }, heap: { before: before.heapUsed, after: after.heapUsed } })}`);
process.exitCode = total.errors > 0 || inFlight > 0 ? 1 : 0;
console.log(`load average during the run: ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}`);
