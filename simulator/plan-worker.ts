// Worker thread of the capacity planner: runs the probes it is sent, one at a time.

import { parentPort } from 'node:worker_threads';
import { runProbe, type ProbeSpec } from './plan-probe.ts';

parentPort!.on('message', async (msg: { id: number; spec: ProbeSpec }) => {
  try {
    parentPort!.postMessage({ id: msg.id, result: await runProbe(msg.spec) });
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: (e as Error).message });
  }
});
