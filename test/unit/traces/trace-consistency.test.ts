// Inconsistent traces are not accepted without a word: a reused uid, a pin to a node that is not
// there, a node added twice, usage or an end for names the trace never introduced. Strict: an error
// naming file and line; lenient: the line skipped, counted by file and by reason. Alibaba rows the
// reader cannot use are counted by reason and shown in the report.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProfileFile } from '../../../profiles/loader.ts';
import { simulate } from '../../../simulator/engine/simulation.ts';
import { policyByName } from '../../../simulator/policies/index.ts';
import { formatTotalsTable } from '../../../simulator/report/index.ts';
import { readAlibaba2018, readTidalTrace, serializeEvent } from '../../../simulator/traces/index.ts';
import type { TraceEvent } from '../../../simulator/traces/events.ts';
import { tracePod } from '../../helpers/trace.ts';
import { collect, tempDir, writeTables } from '../traces/helpers.ts';

const PROFILE = loadProfileFile(new URL('../../../profiles/daily-tidal.yaml', import.meta.url).pathname);
const T = Date.parse('2026-11-16T00:00:00Z');
const nodeAdd = (name: string, time = T): TraceEvent => ({ type: 'node-add', time, node: { name, allocatable: { cpu: 32000, memory: 2 ** 37 }, maxPods: 110, labels: {}, zone: '', unschedulable: false } });

async function file(events: TraceEvent[]): Promise<string> {
  const f = join(await tempDir(), 't.jsonl');
  await writeFile(f, events.map(serializeEvent).join('\n') + '\n');
  return f;
}

const pod = tracePod({ uid: 'p1' });
const cases: Array<[string, TraceEvent[], string, string]> = [
  ['a duplicate pod uid', [nodeAdd('n1'), { type: 'pod-arrival', time: T, pod }, { type: 'pod-arrival', time: T + 1, pod }], ':3:', 'pod-arrival of uid "p1", which an earlier pod-arrival used'],
  ['a pod pinned to a node that does not exist', [nodeAdd('n1'), { type: 'pod-arrival', time: T, pod: { ...pod, nodeName: 'ghost' } }], ':2:', 'pod "p1" is pinned to node "ghost", which no earlier node-add made live'],
  ['a duplicate node-add', [nodeAdd('n1'), nodeAdd('n1', T + 1)], ':2:', 'node-add of node "n1", which is already live'],
  ['node usage for an unknown node', [nodeAdd('n1'), { type: 'node-usage', time: T, name: 'n2', cpu: 1, memory: 1 }], ':2:', 'node-usage of node "n2", which no earlier node-add made live'],
  ['a node-remove of an unknown node', [nodeAdd('n1'), { type: 'node-remove', time: T, name: 'n2' }], ':2:', 'node-remove of node "n2"'],
  ['pod usage for an unknown pod', [nodeAdd('n1'), { type: 'pod-usage', time: T, uid: 'nobody', cpu: 1, memory: 1 }], ':2:', 'pod-usage of uid "nobody", which no earlier pod-arrival introduced'],
  ['a pod-end for an unknown pod', [nodeAdd('n1'), { type: 'pod-end', time: T, uid: 'nobody' }], ':2:', 'pod-end of uid "nobody"'],
  ['a pod-end after the pod ended', [nodeAdd('n1'), { type: 'pod-arrival', time: T, pod }, { type: 'pod-end', time: T + 1, uid: 'p1' }, { type: 'pod-end', time: T + 2, uid: 'p1' }], ':4:', 'pod-end of uid "p1", which an earlier pod-end ended'],
];

describe('inconsistent Tidal traces', () => {
  for (const [what, events, line, message] of cases) {
    it(`strict: ${what} is an error naming file and line`, async () => {
      const f = await file(events);
      await expect(collect((await readTidalTrace(f)).events())).rejects.toThrow(`${f}${line}`);
      await expect(collect((await readTidalTrace(f)).events())).rejects.toThrow(message);
    });
  }

  it('lenient: each is counted, by file and by reason, and the counts add up to the lines', async () => {
    for (const [, events] of cases) {
      const f = await file(events);
      const t = await readTidalTrace(f, { strict: false });
      const read = await collect(t.events());
      const skipped = t.info.skipped.get(f) ?? 0;
      const dropped = [...(t.info.dropped ?? new Map()).values()].reduce((s, n) => s + n, 0);
      expect(dropped).toBeGreaterThan(0);
      expect(read.length + skipped).toBe(events.length);
    }
  });

  it('lenient: a pin to an unknown node is dropped (the policy places the pod) and said so', async () => {
    const f = await file([nodeAdd('n1'), { type: 'pod-arrival', time: T, pod: { ...pod, nodeName: 'ghost' } }]);
    const t = await readTidalTrace(f, { strict: false });
    const r = await simulate({ trace: t, profile: PROFILE, policies: [policyByName('kube-default')] });
    expect(r.policies[0]!.totals.onlineRisk).toBeDefined();
    expect(r.droppedRows).toEqual({ 'pod pinned to a node that is not live (placed by the policy)': 1 });
    expect(formatTotalsTable(r)).toContain('Dropped:  1 pod pinned to a node that is not live (placed by the policy)');
  });
});

describe('Alibaba rows the reader cannot use', () => {
  it('are counted by reason and shown in the report, not "no rows"', async () => {
    const dir = await writeTables({
      'machine_meta.csv': ['m_1,0,1,1,96,100,USING'],
      // Two good tasks, one that ends before it starts, one with negative times.
      'batch_task.csv': ['t1,1,j_1,1,Terminated,100,700,100,0.5', 't2,1,j_1,1,Terminated,100,800,100,0.5', 't3,1,j_2,1,Terminated,900,800,100,0.5', 't4,1,j_3,1,Terminated,-50,-10,100,0.5'],
    });
    const r = await simulate({ trace: await readAlibaba2018(dir), profile: PROFILE, policies: [policyByName('kube-default')] });
    expect(r.policies[0]!.totals.batch.arrived).toBe(2);
    expect(r.droppedRows).toEqual({ 'task ends before it starts': 1, 'task without start or end': 1 });
    const text = formatTotalsTable(r);
    expect(text).toContain('Skipped:  no rows');
    expect(text).toMatch(/Dropped:  1 task ends before it starts; 1 task without start or end/);
  });
});
