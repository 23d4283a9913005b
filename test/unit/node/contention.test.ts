// Hand-computed cases for the per-node contention model: CPU shares on an oversubscribed node, the
// batch cap, the OOM kill order, and the interference flag.

import { describe, expect, it } from 'vitest';
import {
  BATCH,
  ContentionResult,
  ContentionWorkspace,
  kubeletOomScoreAdj,
  ONLINE,
  PodBuffer,
  resolveNode,
  SYSTEM,
  type ClassCode,
  type ContentionOptions,
  type NodeCapacity,
} from '../../../simulator/node/contention.ts';

const GiB = 2 ** 30;
const MIN = 60_000;

interface P {
  id: string;
  cls: ClassCode;
  cpu: number;
  req?: number;
  mem?: number;
  adj?: number;
  prio?: number;
}

function run(node: NodeCapacity, pods: P[], opts: Partial<ContentionOptions> = {}) {
  const buf = new PodBuffer(2); // small on purpose: exercises growth
  for (const p of pods) buf.push(p.cls, p.cpu, p.req ?? 0, p.mem ?? 0, p.adj ?? 1000, p.prio ?? 0, p.id);
  const out = resolveNode(node, buf, { intervalMs: MIN, ...opts }, new ContentionWorkspace(), new ContentionResult());
  const idx = (id: string) => pods.findIndex((p) => p.id === id);
  return {
    out,
    granted: (id: string) => out.cpuGranted[idx(id)],
    rate: (id: string) => out.rate[idx(id)],
    victims: () => Array.from(out.oomVictims.subarray(0, out.oomKillCount), (i) => pods[i]!.id),
  };
}

const BIG = { cpu: 8000, memory: 64 * GiB };

describe('CPU when the node is not oversubscribed', () => {
  it('grants every demand and denies nothing', () => {
    const r = run(BIG, [
      { id: 'web', cls: ONLINE, cpu: 3000, req: 2000 },
      { id: 'job', cls: BATCH, cpu: 2000, req: 1000 },
    ]);
    expect(r.granted('web')).toBe(3000);
    expect(r.granted('job')).toBe(2000);
    expect(r.rate('job')).toBe(1);
    expect(r.out.cpuContended).toBe(false);
    expect(Array.from(r.out.cpuDeniedCoreSeconds)).toEqual([0, 0, 0]);
    expect(r.out.cpuUsed).toBe(5000);
  });
});

describe('CPU on an oversubscribed node', () => {
  it('serves online and system first; batch shares the rest by request, work-conserving', () => {
    // non-batch 3000 + 1000 = 4000 fits; 4000 left for batch demanding 4000 + 2000.
    // Equal weights (1000 each): job-b (2000) is under its share 2000 and keeps it; job-a gets the other 2000.
    const r = run(BIG, [
      { id: 'web', cls: ONLINE, cpu: 3000, req: 2000 },
      { id: 'ds', cls: SYSTEM, cpu: 1000, req: 500 },
      { id: 'job-a', cls: BATCH, cpu: 4000, req: 1000 },
      { id: 'job-b', cls: BATCH, cpu: 2000, req: 1000 },
    ]);
    expect(r.granted('web')).toBe(3000);
    expect(r.granted('ds')).toBe(1000);
    expect(r.granted('job-a')).toBe(2000);
    expect(r.granted('job-b')).toBe(2000);
    expect(r.rate('job-a')).toBe(0.5);
    expect(r.rate('job-b')).toBe(1);
    expect(r.out.cpuContended).toBe(true);
    // 2 cores denied for 60 s.
    expect(r.out.cpuDeniedCoreSeconds[BATCH]).toBeCloseTo(120, 9);
    expect(r.out.cpuDeniedCoreSeconds[ONLINE]).toBe(0);
    expect(r.out.cpuUsed).toBe(8000);
  });

  it('weights batch pods by their requests (cpu.shares), not by their demand', () => {
    // 4000 left, both demand 4000; requests 3000 : 1000 -> 3000 and 1000.
    const r = run(BIG, [
      { id: 'web', cls: ONLINE, cpu: 4000, req: 4000 },
      { id: 'heavy', cls: BATCH, cpu: 4000, req: 3000 },
      { id: 'light', cls: BATCH, cpu: 4000, req: 1000 },
    ]);
    expect(r.granted('heavy')).toBe(3000);
    expect(r.granted('light')).toBe(1000);
    expect(r.rate('heavy')).toBe(0.75);
    expect(r.rate('light')).toBe(0.25);
  });

  it('when online alone exceeds the node, online pods share it by request and batch gets nothing', () => {
    // 4000 m; o1 wants 4000 (req 1000), o2 wants 2000 (req 3000). o2's share 3000 covers its 2000;
    // o1 gets the remaining 2000 (demand-proportional would have given 2667 / 1333).
    const r = run({ cpu: 4000, memory: 64 * GiB }, [
      { id: 'o1', cls: ONLINE, cpu: 4000, req: 1000 },
      { id: 'o2', cls: ONLINE, cpu: 2000, req: 3000 },
      { id: 'job', cls: BATCH, cpu: 1000, req: 1000 },
    ]);
    expect(r.granted('o2')).toBe(2000);
    expect(r.granted('o1')).toBe(2000);
    expect(r.granted('job')).toBe(0);
    expect(r.rate('job')).toBe(0);
    // unmet online CPU: 2 cores x 60 s; batch: 1 core x 60 s.
    expect(r.out.cpuDeniedCoreSeconds[ONLINE]).toBeCloseTo(120, 9);
    expect(r.out.cpuDeniedCoreSeconds[BATCH]).toBeCloseTo(60, 9);
  });

  it('a pod with no request shares at the cpu.shares floor (2 shares), not at zero', () => {
    const r = run({ cpu: 1000, memory: GiB }, [
      { id: 'be-1', cls: BATCH, cpu: 1000 },
      { id: 'be-2', cls: BATCH, cpu: 1000 },
    ]);
    expect(r.granted('be-1')).toBe(500);
    expect(r.granted('be-2')).toBe(500);
  });

  it('holds batch to the node agent cap even when the node has room', () => {
    const r = run(BIG, [
      { id: 'web', cls: ONLINE, cpu: 2000, req: 2000 },
      { id: 'job', cls: BATCH, cpu: 5000, req: 1000 },
    ], { batchCpuCap: 3000 });
    expect(r.granted('job')).toBe(3000);
    expect(r.granted('web')).toBe(2000);
    expect(r.out.cpuContended).toBe(true);
    expect(r.out.cpuDeniedCoreSeconds[BATCH]).toBeCloseTo(120, 9);
  });
});

describe('interference', () => {
  it('flags total use above 80% of the node while an online pod runs', () => {
    const hot = run(BIG, [
      { id: 'web', cls: ONLINE, cpu: 1000 },
      { id: 'job', cls: BATCH, cpu: 5500 },
    ]);
    expect(hot.out.cpuUsed).toBe(6500);
    expect(hot.out.interference).toBe(true);
    const at = run(BIG, [
      { id: 'web', cls: ONLINE, cpu: 1000 },
      { id: 'job', cls: BATCH, cpu: 5400 },
    ]);
    expect(at.out.interference).toBe(false); // exactly 80% is not above it
  });

  it('does not flag a hot node without online pods, and honours the configured fraction', () => {
    expect(run(BIG, [{ id: 'job', cls: BATCH, cpu: 8000 }]).out.interference).toBe(false);
    expect(run(BIG, [{ id: 'ds', cls: SYSTEM, cpu: 8000 }]).out.interference).toBe(false);
    expect(run(BIG, [{ id: 'web', cls: ONLINE, cpu: 5000 }], { interferenceFraction: 0.6 }).out.interference).toBe(true);
  });
});

describe("kubelet's oom_score_adj (pkg/kubelet/qos/policy.go)", () => {
  it('BestEffort 1000, Guaranteed -997, Burstable 1000 - 1000 x request / capacity clamped to [3, 999]', () => {
    expect(kubeletOomScoreAdj('BestEffort', 0, 10 * GiB)).toBe(1000);
    expect(kubeletOomScoreAdj('Guaranteed', 4 * GiB, 10 * GiB)).toBe(-997);
    expect(kubeletOomScoreAdj('Burstable', 4 * GiB, 10 * GiB)).toBe(600);
    expect(kubeletOomScoreAdj('Burstable', 0, 10 * GiB)).toBe(999);
    expect(kubeletOomScoreAdj('Burstable', 10 * GiB, 10 * GiB)).toBe(3);
    expect(kubeletOomScoreAdj('Burstable', 20 * GiB, 10 * GiB)).toBe(3);
    expect(kubeletOomScoreAdj('Burstable', 1, 10 * GiB, true)).toBe(-997);
    expect(() => kubeletOomScoreAdj('Burstable', 1, 0)).toThrow(/memoryCapacity/);
  });
});

describe('memory: the OOM killer', () => {
  it('kills in badness order (memory + adj x capacity / 1000), ties to the lower priority, until the rest fits', () => {
    // capacity 10 GiB, demand 14 GiB. Badness in GiB: job-big 3 + 10 = 13; job-low 2 + 10 = 12;
    // job 2 + 10 = 12; web 6 + 0.6 x 10 = 12; ds 1 - 9.97 < 0. Ties at 12 go to the lower priority:
    // job-low (-10), job (0), web (1000). Killing job-big leaves 11 > 10, job-low leaves 9: stop.
    const cap = 10 * GiB;
    const r = run({ cpu: 8000, memory: cap }, [
      { id: 'web', cls: ONLINE, cpu: 1000, mem: 6 * GiB, adj: kubeletOomScoreAdj('Burstable', 4 * GiB, cap), prio: 1000 },
      { id: 'ds', cls: SYSTEM, cpu: 100, mem: 1 * GiB, adj: kubeletOomScoreAdj('Guaranteed', GiB, cap), prio: 2000 },
      { id: 'job', cls: BATCH, cpu: 1000, mem: 2 * GiB, adj: 1000, prio: 0 },
      { id: 'job-big', cls: BATCH, cpu: 1000, mem: 3 * GiB, adj: 1000, prio: 0 },
      { id: 'job-low', cls: BATCH, cpu: 1000, mem: 2 * GiB, adj: 1000, prio: -10 },
    ]);
    expect(r.victims()).toEqual(['job-big', 'job-low']);
    expect(Array.from(r.out.oomKillsByClass)).toEqual([0, 0, 2]);
    expect(r.out.memUsed).toBe(9 * GiB);
    // The dead get no CPU and leave the demand; the rest fit.
    expect(r.granted('job-big')).toBe(0);
    expect(r.rate('job-big')).toBe(0);
    expect(r.out.cpuDemandByClass[BATCH]).toBe(1000);
    expect(r.out.cpuDeniedCoreSeconds[BATCH]).toBe(0);
  });

  it('kills the largest BestEffort pod first among equals, then by id', () => {
    const cap = 4 * GiB;
    const r = run({ cpu: 8000, memory: cap }, [
      { id: 'b', cls: BATCH, cpu: 0, mem: 1 * GiB },
      { id: 'a', cls: BATCH, cpu: 0, mem: 1 * GiB },
      { id: 'big', cls: BATCH, cpu: 0, mem: 2 * GiB },
      { id: 'web', cls: ONLINE, cpu: 0, mem: 2 * GiB, adj: -997 },
    ]);
    // demand 6 GiB: big (2 + 4) goes first -> 4 GiB fits.
    expect(r.victims()).toEqual(['big']);
    const r2 = run({ cpu: 8000, memory: 2.5 * GiB }, [
      { id: 'b', cls: BATCH, cpu: 0, mem: 1 * GiB },
      { id: 'a', cls: BATCH, cpu: 0, mem: 1 * GiB },
      { id: 'web', cls: ONLINE, cpu: 0, mem: 1 * GiB, adj: -997 },
    ]);
    // equal badness and priority and size: smaller id first; 3 -> 2 GiB fits.
    expect(r2.victims()).toEqual(['a']);
  });

  it('kills an online pod when online and system memory alone exceed the node', () => {
    // capacity 8 GiB; online 5 (Burstable, request 4: adj 500) + 4 (Guaranteed) = 9 GiB alone.
    // Badness: job 1 + 8 = 9, o-burst 5 + 4 = 9 (tie: job has the lower priority), o-guar 4 - 7.976 < 0.
    const cap = 8 * GiB;
    const r = run({ cpu: 8000, memory: cap }, [
      { id: 'o-burst', cls: ONLINE, cpu: 1000, mem: 5 * GiB, adj: kubeletOomScoreAdj('Burstable', 4 * GiB, cap), prio: 1000 },
      { id: 'o-guar', cls: ONLINE, cpu: 1000, mem: 4 * GiB, adj: -997, prio: 1000 },
      { id: 'job', cls: BATCH, cpu: 1000, mem: 1 * GiB, adj: 1000, prio: 0 },
    ]);
    expect(r.victims()).toEqual(['job', 'o-burst']);
    expect(r.out.oomKillsByClass[ONLINE]).toBe(1);
    expect(r.out.oomKillsByClass[BATCH]).toBe(1);
    expect(r.out.memUsed).toBe(4 * GiB);
    expect(r.granted('o-guar')).toBe(1000);
  });

  it("follows the kernel where it differs from 'batch first': a Burstable pod far above its request outranks a small BestEffort one", () => {
    // capacity 8 GiB; o-burst badness 5 + 4 = 9 > job 0.5 + 8 = 8.5: the kernel kills o-burst, and then 4.5 GiB fits.
    const cap = 8 * GiB;
    const r = run({ cpu: 8000, memory: cap }, [
      { id: 'o-burst', cls: ONLINE, cpu: 1000, mem: 5 * GiB, adj: 500, prio: 1000 },
      { id: 'o-guar', cls: ONLINE, cpu: 1000, mem: 4 * GiB, adj: -997, prio: 1000 },
      { id: 'job', cls: BATCH, cpu: 1000, mem: 0.5 * GiB, adj: 1000, prio: 0 },
    ]);
    expect(r.victims()).toEqual(['o-burst']);
  });

  it('never kills a pod with oom_score_adj -1000', () => {
    const r = run({ cpu: 8000, memory: GiB }, [
      { id: 'pinned', cls: SYSTEM, cpu: 0, mem: 2 * GiB, adj: -1000 },
      { id: 'job', cls: BATCH, cpu: 0, mem: GiB / 2, adj: 1000 },
    ]);
    expect(r.victims()).toEqual(['job']);
    expect(r.out.memUsed).toBe(2 * GiB); // still above: nothing killable is left
  });
});

describe('bad input', () => {
  it('names the pod and the field', () => {
    const buf = new PodBuffer();
    expect(() => buf.push(ONLINE, -1, 0, 0, 0, 0, 'web-1')).toThrow(/web-1: cpuDemand/);
    expect(() => buf.push(ONLINE, 1, 0, NaN, 0, 0, 'web-2')).toThrow(/web-2: memDemand/);
    expect(() => buf.push(ONLINE, 1, 0, 0, 2000, 0, 'web-3')).toThrow(/web-3: oomScoreAdj/);
    expect(() => resolveNode({ cpu: 1000, memory: 1 }, buf, { intervalMs: 1, batchCpuCap: -5 }, new ContentionWorkspace(), new ContentionResult())).toThrow(/batchCpuCap/);
  });
});
