// A sweep worker thread: runs the RunSpecs it is sent, one at a time, and posts each result back.

import { parentPort } from 'node:worker_threads';
import { runOne, type RunSpec } from './run-one.ts';

parentPort!.on('message', async (msg: { id: number; run: RunSpec }) => {
  try {
    parentPort!.postMessage({ id: msg.id, result: await runOne(msg.run) });
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: (e as Error).stack ?? String(e) });
  }
});
