// The extender as the load benchmarks' server, in a child process (forkServer in load-lib.ts):
//   --cluster bench --nodes 5000   the bench cluster (bench/cluster.ts), daily-tidal profile
//   --cluster sample               the 5-node sample cluster of the extender tests (fuzz bodies name it)
//   --budget-ms 500                the decision budget (0: off)
//   --policy time-sharing          the core's preset (time-sharing, static-colocation, kube-default)
// Answers {type:'stats'} with its RSS, heap and /metrics text (after a GC when asked), and exits on {type:'stop'}.

import { Registry } from 'prom-client';
import { arg } from './lib.ts';
import { startBenchExtender, type ServerMessage } from './load-lib.ts';

const cluster = arg('cluster', 'bench');
const budget = Number(arg('budget-ms', '500'));
let port: number;
let names: string[];
let registry: Registry;
let close: () => Promise<void>;
if (cluster === 'sample') {
  const { startHardened } = await import('../test/unit/extender/app.ts');
  const ext = await startHardened({ decisionBudgetMs: budget });
  port = ext.server.port;
  names = ['n1', 'n2', 'n3', 'n4', 'n5'];
  registry = ext.registry;
  close = ext.close;
} else {
  const ext = await startBenchExtender(Number(arg('nodes', '5000')), { decisionBudgetMs: budget, policy: arg('policy', 'time-sharing') });
  port = ext.running.port;
  names = ext.names;
  registry = ext.registry;
  close = ext.close;
}
const send = (m: ServerMessage): void => void process.send!(m);
process.on('message', async (m: { type: string; gc?: boolean }) => {
  if (m.type === 'stats') {
    if (m.gc) for (let i = 0; i < 3; i++) (globalThis as { gc?: () => void }).gc?.();
    const mem = process.memoryUsage();
    send({ type: 'stats', rss: mem.rss, heapUsed: mem.heapUsed, metrics: await registry.metrics() });
  } else if (m.type === 'stop') {
    await close();
    process.exit(0);
  }
});
send({ type: 'ready', port, names });
