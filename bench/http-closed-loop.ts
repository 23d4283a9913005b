// Closed-loop HTTP measurement of the extender on loopback: the webhook in a child process
// (load-server.ts) pinned to one core, `concurrency` clients each sending kube-scheduler's filter then
// prioritize (over the nodes that passed) back to back for a fixed time, with keep-alive. Stops by
// itself. Pinning: a child inherits its parent's CPU affinity, so this process pins itself to core 0
// just before forking the server and then moves itself to the other cores (taskset, when present).

import { execFileSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import { cpus } from 'node:os';
import { numFeasibleNodesToFind } from '../scheduler/core/engine.ts';
import { wireNode } from '../test/fixtures/extender/payloads.ts';
import { forkServer, pct, pendingPod } from './load-lib.ts';

export interface ClosedLoopOptions {
  nodes: number;
  policy: string;
  cacheCapable: boolean;
  seconds: number;
  concurrency: number;
  list: 'adaptive' | 'all';
}

export interface ClosedLoopResult extends ClosedLoopOptions {
  pinned: boolean;
  requests: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

function pin(pid: number, cpuList: string): boolean {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpuList, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function post(agent: Agent, port: number, path: string, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function httpClosedLoop(o: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const cores = cpus().length;
  const pinned = cores > 1 && pin(process.pid, '0');
  const server = await forkServer(['--cluster', 'bench', '--nodes', String(o.nodes), '--policy', o.policy, '--budget-ms', '0']);
  if (pinned) pin(process.pid, `1-${cores - 1}`);
  try {
    const names = o.list === 'all' ? server.names : server.names.slice(0, numFeasibleNodesToFind(o.nodes, 0));
    const items = o.cacheCapable ? null : names.map((n, i) => wireNode(n, { cpu: '32', memory: '128Gi', zone: `zone-${i % 3}` }));
    const pods = Array.from({ length: 32 }, (_, k) => pendingPod(k, k % 2 ? 'batch' : 'online'));
    const bodyOf = (pod: unknown, passedNames: readonly string[] | null, passedItems: unknown[] | null): Buffer =>
      Buffer.from(JSON.stringify(o.cacheCapable ? { Pod: pod, Nodes: null, NodeNames: passedNames } : { Pod: pod, Nodes: { metadata: {}, items: passedItems }, NodeNames: null }));
    const filterBodies = pods.map((p) => bodyOf(p, names, items));
    const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency });
    const latencies: number[] = [];
    let errors = 0;
    const deadline = performance.now() + o.seconds * 1000;
    const client = async (c: number): Promise<void> => {
      for (let k = c; performance.now() < deadline; k += o.concurrency) {
        const pod = pods[k % pods.length]!;
        try {
          let t = performance.now();
          const f = await post(agent, server.port, '/scheduler/filter', filterBodies[k % pods.length]!);
          latencies.push(performance.now() - t);
          const fj = JSON.parse(f.text) as { Error: string; NodeNames: string[] | null; Nodes: { items: unknown[] } | null };
          if (f.status !== 200 || fj.Error) {
            errors++;
            continue;
          }
          t = performance.now();
          const p = await post(agent, server.port, '/scheduler/prioritize', bodyOf(pod, fj.NodeNames, fj.Nodes?.items ?? null));
          latencies.push(performance.now() - t);
          if (p.status !== 200 || !Array.isArray(JSON.parse(p.text))) errors++;
        } catch {
          errors++;
        }
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: o.concurrency }, (_, c) => client(c)));
    const elapsed = (performance.now() - started) / 1000;
    agent.destroy();
    return { ...o, pinned, requests: latencies.length, requestsPerSecond: latencies.length / elapsed, p50: pct(latencies, 0.5), p99: pct(latencies, 0.99), errors };
  } finally {
    await server.stop();
    if (pinned) pin(process.pid, `0-${cores - 1}`);
  }
}
