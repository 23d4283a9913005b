// Conservation properties of the contention model and batch progress (fast-check).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BATCH, ContentionResult, ContentionWorkspace, PodBuffer, resolveNode, type ClassCode } from '../../../simulator/node/contention.ts';
import { advanceWork, newBatchWork } from '../../../simulator/node/progress.ts';

const GiB = 2 ** 30;
const EPS = 1e-6;
const RUNS = { numRuns: 300 };

const podArb = fc.record({
  cls: fc.constantFrom<ClassCode>(0, 1, 2),
  cpu: fc.integer({ min: 0, max: 16_000 }),
  req: fc.integer({ min: 0, max: 8000 }),
  mem: fc.integer({ min: 0, max: 16 * 1024 }).map((m) => m * 2 ** 20),
  adj: fc.oneof(fc.constant(1000), fc.constant(-997), fc.constant(-1000), fc.integer({ min: 3, max: 999 })),
  prio: fc.integer({ min: -10, max: 10 }),
});
const caseArb = fc.record({
  cpu: fc.integer({ min: 0, max: 64_000 }),
  memory: fc.integer({ min: 0, max: 64 }).map((g) => g * GiB),
  cap: fc.option(fc.integer({ min: 0, max: 64_000 }), { nil: undefined }),
  pods: fc.array(podArb, { minLength: 0, maxLength: 40 }),
});

// One workspace and result for every run: reuse across calls must not leak state.
const ws = new ContentionWorkspace();
const out = new ContentionResult();
const buf = new PodBuffer(4);

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

function resolve(c: Case) {
  buf.reset();
  c.pods.forEach((p, i) => buf.push(p.cls, p.cpu, p.req, p.mem, p.adj, p.prio, `p${i}`));
  return resolveNode({ cpu: c.cpu, memory: c.memory }, buf, { intervalMs: 60_000, batchCpuCap: c.cap }, ws, out);
}

describe('contention conservation', () => {
  it('granted CPU is within [0, demand] per pod, within allocatable per node, within the cap for batch', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const r = resolve(c);
        let total = 0;
        let batch = 0;
        c.pods.forEach((p, i) => {
          const g = r.cpuGranted[i]!;
          expect(g).toBeGreaterThanOrEqual(0);
          expect(g).toBeLessThanOrEqual(p.cpu + EPS);
          expect(r.rate[i]!).toBeGreaterThanOrEqual(0);
          expect(r.rate[i]!).toBeLessThanOrEqual(1 + EPS);
          total += g;
          if (p.cls === BATCH) batch += g;
        });
        expect(total).toBeLessThanOrEqual(c.cpu + EPS);
        expect(batch).toBeLessThanOrEqual((c.cap ?? Infinity) + EPS);
        expect(r.cpuUsed).toBeCloseTo(total, 6);
      }),
      RUNS,
    );
  });

  it('per class, granted + denied = the survivors demand; CPU is work-conserving', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const r = resolve(c);
        const demand = [0, 0, 0];
        c.pods.forEach((p, i) => {
          if (!r.killed[i]) demand[p.cls]! += p.cpu;
        });
        for (let k = 0; k < 3; k++) {
          expect(r.cpuDemandByClass[k]).toBe(demand[k]);
          expect(r.cpuGrantedByClass[k]! + (r.cpuDeniedCoreSeconds[k]! * 1e6) / 60_000).toBeCloseTo(demand[k]!, 6);
        }
        // Work conservation: if anything is denied, the node or the cap is used up.
        const nonBatch = demand[0]! + demand[1]!;
        const nonBatchDenied = r.cpuDeniedCoreSeconds[0]! + r.cpuDeniedCoreSeconds[1]!;
        if (nonBatchDenied > EPS) expect(r.cpuUsed).toBeCloseTo(c.cpu, 6);
        if (nonBatch <= c.cpu) expect(nonBatchDenied).toBe(0);
        if (r.cpuDeniedCoreSeconds[BATCH]! > EPS) expect(Math.min(c.cpu, r.cpuGrantedByClass[0]! + r.cpuGrantedByClass[1]! + (c.cap ?? Infinity))).toBeCloseTo(r.cpuUsed, 6);
      }),
      RUNS,
    );
  });

  it('OOM kills stop as soon as the rest fits, never touch adj -1000, and leave the rest within memory when possible', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const r = resolve(c);
        let unkillable = 0;
        let survivors = 0;
        c.pods.forEach((p, i) => {
          if (p.adj === -1000) {
            unkillable += p.mem;
            expect(r.killed[i]).toBe(0);
          }
          if (!r.killed[i]) survivors += p.mem;
        });
        expect(r.memUsed).toBe(survivors);
        if (unkillable <= c.memory) expect(survivors).toBeLessThanOrEqual(c.memory);
        if (r.oomKillCount > 0) {
          const last = r.oomVictims[r.oomKillCount - 1]!;
          expect(survivors + c.pods[last]!.mem).toBeGreaterThan(c.memory);
        }
        expect(r.oomKillsByClass[0]! + r.oomKillsByClass[1]! + r.oomKillsByClass[2]!).toBe(r.oomKillCount);
      }),
      RUNS,
    );
  });
});

describe('batch progress conservation', () => {
  it('work done never exceeds what the demand allows, and done + delay = time elapsed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3_600_000 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 600_000 }), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: 1, maxLength: 30 }),
        (runtime, intervals) => {
          const w = newBatchWork(runtime);
          let t = 0;
          let elapsed = 0;
          for (const [dt, rate] of intervals) {
            const before = w.remainingMs;
            const done = advanceWork(w, t, dt, rate, 1000);
            expect(before - w.remainingMs).toBeLessThanOrEqual(dt * rate + EPS);
            expect(w.remainingMs).toBeGreaterThanOrEqual(0);
            elapsed += Number.isNaN(done) ? dt : done - t;
            t += dt;
            if (!Number.isNaN(done)) break;
          }
          expect(runtime - w.remainingMs + w.delayMs).toBeCloseTo(elapsed, 3);
          expect(w.deniedCoreSeconds).toBeCloseTo(w.delayMs / 1000, 6);
        },
      ),
      RUNS,
    );
  });
});
