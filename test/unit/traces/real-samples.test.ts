// The real Alibaba samples in ../shared/data/alibaba (not part of the project): skipped with a
// message when the folder is absent.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readAlibaba2017 } from '../../../simulator/traces/alibaba2017.ts';
import { readAlibaba2018 } from '../../../simulator/traces/alibaba2018.ts';
import { GiB, START } from './helpers.ts';

const DATA = fileURLToPath(new URL('../../../../shared/data/alibaba/', import.meta.url));
const present = existsSync(`${DATA}v2018_machine_meta.csv`);
if (!present) console.warn(`real Alibaba samples not found in ${DATA}: skipping the real-sample trace tests`);

describe.skipIf(!present)('real Alibaba samples (../shared/data/alibaba)', () => {
  it('v2018 machine_meta + machine_usage subset: 4,034 machines, 100,002 usage rows, in time order', async () => {
    const t = await readAlibaba2018({ machine_meta: `${DATA}v2018_machine_meta.csv`, machine_usage: `${DATA}v2018_machine_usage_subset.csv` });
    let last = -Infinity;
    let ordered = true;
    const usageNodes = new Set<string>();
    let maxCpu = 0;
    for await (const e of t.events()) {
      if (e.time < last) ordered = false;
      last = e.time;
      if (e.type === 'node-usage') {
        usageNodes.add(e.name);
        maxCpu = Math.max(maxCpu, e.cpu);
      }
      if (e.type === 'node-add') expect(e.node.allocatable).toEqual({ cpu: 96_000, memory: 384 * GiB });
    }
    expect(ordered).toBe(true);
    expect(t.stats.rows[`${DATA}v2018_machine_meta.csv`]).toBe(17_592);
    expect(t.stats.rows[`${DATA}v2018_machine_usage_subset.csv`]).toBe(100_002);
    expect(t.stats.machines).toBe(4034);
    // m_2739 only ever reports IMPORT_INSTALLING: never in service.
    expect(t.stats.events['node-add']).toBe(4033);
    expect(t.stats.events['node-usage']).toBe(100_002);
    expect([...usageNodes].sort()).toEqual(Array.from({ length: 16 }, (_, i) => `m_${1932 + i}`));
    expect(maxCpu).toBeLessThanOrEqual(96_000);
    expect(last).toBeLessThan(START + 8 * 86_400_000);
    // Both tables are grouped by machine, not by time: both went through the external sort.
    expect(t.stats.sorted.length).toBe(2);
  }, 60_000);

  it('v2017 batch_task: 80,553 tasks (header line handled), pods derived with a per-task cap', async () => {
    const t = await readAlibaba2017({ batch_task: `${DATA}v2017_batch_task.csv` }, { maxInstancesPerTask: 5 });
    let n = 0;
    let last = -Infinity;
    let ordered = true;
    for await (const e of t.events()) {
      if (e.time < last) ordered = false;
      last = e.time;
      n++;
    }
    expect(ordered).toBe(true);
    expect(t.stats.rows[`${DATA}v2017_batch_task.csv`]).toBe(80_553);
    const dropped = t.stats.dropped;
    // Tasks without a plan (Waiting ones) or without an end inside the trace produce no pods.
    expect(dropped['task without requests']).toBeGreaterThan(8000);
    expect(n).toBe(t.stats.events['pod-arrival']);
    expect(n + (dropped['instances over maxInstancesPerTask'] ?? 0)).toBeLessThanOrEqual(11_909_321);
  }, 60_000);
});
