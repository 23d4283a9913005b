// Batch progress under throttling: the completion moves by exactly the work denied.

import { describe, expect, it } from 'vitest';
import { BATCH, ContentionResult, ContentionWorkspace, ONLINE, PodBuffer, resolveNode } from '../../../simulator/node/contention.ts';
import { advanceWork, newBatchWork, projectedCompletion } from '../../../simulator/node/progress.ts';

const S = 1000;
const MIN = 60 * S;

describe('advanceWork', () => {
  it('a pod at half rate for two minutes finishes one minute late and was denied 2 cores x 1 minute', () => {
    const w = newBatchWork(10 * MIN);
    expect(advanceWork(w, 0, MIN, 0.5, 2000)).toBeNaN();
    expect(advanceWork(w, MIN, MIN, 0.5, 2000)).toBeNaN();
    expect(w.remainingMs).toBe(9 * MIN);
    expect(w.delayMs).toBe(MIN);
    expect(w.deniedCoreSeconds).toBe(120);
    expect(projectedCompletion(w, 2 * MIN)).toBe(11 * MIN);
  });

  it('reports the completion inside an interval and counts denial only up to it', () => {
    const w = newBatchWork(20 * S);
    // rate 0.5: 20 s of work takes 40 s.
    expect(advanceWork(w, 1000 * S, MIN, 0.5, 1000)).toBe(1040 * S);
    expect(w.remainingMs).toBe(0);
    expect(w.delayMs).toBe(20 * S);
    expect(w.deniedCoreSeconds).toBe(20);
    expect(projectedCompletion(w, 5)).toBe(5);
  });

  it('at rate 0 makes no progress and cannot finish', () => {
    const w = newBatchWork(MIN);
    expect(advanceWork(w, 0, MIN, 0, 500)).toBeNaN();
    expect(w.remainingMs).toBe(MIN);
    expect(w.delayMs).toBe(MIN);
    expect(w.deniedCoreSeconds).toBe(30);
    expect(projectedCompletion(w, MIN, 0)).toBe(Infinity);
  });

  it('rejects a rate outside [0, 1] and a bad runtime', () => {
    expect(() => advanceWork(newBatchWork(1), 0, 1, 1.5, 1)).toThrow(/rate/);
    expect(() => newBatchWork(-1)).toThrow(/runtimeMs/);
  });
});

describe('contention feeding progress', () => {
  it("a batch pod throttled on a hot node completes later by exactly its denied work / its demand", () => {
    // 4-core node. An online pod wants 3 cores in minutes 0-2, then 1 core; the 2-core batch pod (4 min of
    // work at full rate) gets 1 core (rate 0.5) for two minutes, then its full 2 cores.
    const node = { cpu: 4000, memory: 2 ** 34 };
    const pods = new PodBuffer();
    const ws = new ContentionWorkspace();
    const out = new ContentionResult();
    const w = newBatchWork(4 * MIN);
    let t = 0;
    let done = NaN;
    while (Number.isNaN(done)) {
      pods.reset();
      pods.push(ONLINE, t < 2 * MIN ? 3000 : 1000, 3000, 0, -997, 1000, 'web');
      const job = pods.push(BATCH, 2000, 2000, 0, 1000, 0, 'job');
      resolveNode(node, pods, { intervalMs: MIN }, ws, out);
      done = advanceWork(w, t, MIN, out.rate[job]!, 2000);
      t += MIN;
    }
    expect(done).toBe(5 * MIN);
    expect(w.deniedCoreSeconds).toBe(120);
    expect(done - 4 * MIN).toBe((w.deniedCoreSeconds * 1e6) / 2000);
  });
});
