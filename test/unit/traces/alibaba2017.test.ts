import { describe, expect, it } from 'vitest';
import { readAlibaba2017 } from '../../../simulator/traces/alibaba2017.ts';
import { TraceError } from '../../../simulator/traces/events.ts';
import { openTrace } from '../../../simulator/traces/index.ts';
import { at, collect, GiB, writeTables } from './helpers.ts';

// A hand-made cluster-trace-v2017 folder (schema.csv column order). Memory is normalised to 0..1
// there; with machineMemory = 100 GiB, 0.01 is 1 GiB. Batch plan CPU: 100 = 1 core; real CPU: cores.
const TABLES = {
  'server_event.csv': ['0,1,add,,64,1,1', '0,2,add,,32,0.5,1', '500,2,softerror,agent,,,', '900,2,harderror,disk,,,'],
  'server_usage.csv': ['100,1,50,40,10,1,1,1', '100,2,25,20,10,1,1,1', '1000,2,30,30,10,1,1,1'],
  'batch_task.csv': ['create_timestamp,modify_timestamp,job_id,task_id,instance_num,status,plan_cpu,plan_mem', '-60,400,7,70,2,Terminated,50,0.02', '150,300,8,80,1,Terminated,100,0.01'],
  'batch_instance.csv': ['200,400,7,70,1,Terminated,1,1,0.6,0.4,0.02,0.01', '150,300,8,80,2,Terminated,1,1,1.2,0.8,0.01,0.005', '0,0,7,70,1,Waiting,1,1,,,,'],
  'container_event.csv': ['0,Create,11,1,4,0.04,0.01,0|1|2|3', '50,Create,12,2,2,0.02,0.01,4|5', '800,Remove,11,1,4,0.04,0.01,0|1|2|3'],
  'container_usage.csv': ['60,11,50,25,1,1,1,1,1,1,1,1', '60,12,10,50,1,1,1,1,1,1,1,1', '900,11,1,1,1,1,1,1,1,1,1,1'],
};

describe('Alibaba 2017 reader', () => {
  it('replays a hand-made folder: machines, containers, joined batch instances, residual machine usage', async () => {
    const d = await writeTables(TABLES);
    const t = await readAlibaba2017(d, { machineMemory: 100 * GiB });
    const events = await collect(t.events());
    const brief = events.map((e) => {
      const s = (e.time - at(0)) / 1000;
      if (e.type === 'node-add') return `${s} node-add ${e.node.name} ${e.node.allocatable.cpu} ${e.node.allocatable.memory / GiB}`;
      if (e.type === 'pod-arrival') return `${s} pod-arrival ${e.pod.uid} ${e.pod.requests.cpu} ${e.pod.requests.memory / GiB} ${e.pod.runtimeMs}`;
      if (e.type === 'pod-usage' || e.type === 'node-usage') return `${s} ${e.type} ${e.type === 'pod-usage' ? e.uid : e.name} ${e.cpu} ${e.memory / GiB}`;
      if (e.type === 'pod-end') return `${s} pod-end ${e.uid}`;
      if (e.type === 'node-remove') return `${s} node-remove ${e.name}`;
      return `${s} ${e.type}`;
    });
    expect(brief).toEqual([
      '0 node-add m_1 64000 100',
      '0 node-add m_2 32000 50',
      '0 pod-arrival c_11 4000 4 0',
      '50 pod-arrival c_12 2000 2 0',
      '60 pod-usage c_11 2000 1',
      '60 pod-usage c_12 200 1',
      // m_1: 50% of 64 cores minus c_11's 2 cores; 40% of 100 GiB minus its 1 GiB.
      '100 node-usage m_1 30000 39',
      // m_2: 25% of 32 cores minus c_12's 0.2 core; 20% of 50 GiB minus 1 GiB.
      '100 node-usage m_2 7800 9',
      // Instance of job 8 task 80 (line 2), its plan: 1 core, 0.01 = 1 GiB; ran 150..300 on m_2.
      '150 pod-arrival j_8/t_80@2 1000 1 150000',
      '150 pod-usage j_8/t_80@2 800 0.5',
      '200 pod-arrival j_7/t_70@1 500 2 200000',
      '200 pod-usage j_7/t_70@1 400 1',
      '800 pod-end c_11',
      '900 node-remove m_2',
    ]);
    expect(t.stats.machines).toBe(2);
    expect(t.stats.dropped).toMatchObject({ 'batch instance without end': 1, 'server event softerror ignored': 1, 'usage of a pod not live': 1, 'usage of a machine not live': 1 });
    expect(events[2]).toMatchObject({ pod: { uid: 'c_11', app: 'c_11', class: 'online', priority: 9000 } });
  });

  it('reads the batch_task table alone (with a redistributor header) as pods of the task duration', async () => {
    const d = await writeTables({ 'batch_task.csv': TABLES['batch_task.csv'] });
    const t = await readAlibaba2017(d, { machineMemory: 100 * GiB });
    const arrivals = (await collect(t.events())).map((e) => (e.type === 'pod-arrival' ? [e.time - at(0), e.pod.uid, e.pod.runtimeMs, e.pod.requests.memory / GiB] : null));
    // Negative create time: the task began before the trace; it arrives at the start with what was left.
    expect(arrivals).toEqual([
      [0, 'j_7/t_70/1', 400_000, 2],
      [0, 'j_7/t_70/2', 400_000, 2],
      [150_000, 'j_8/t_80/1', 150_000, 1],
    ]);
    expect(t.stats.rows[`${d}/batch_task.csv`]).toBe(2);
  });

  it('strict errors name file, line and column', async () => {
    const d = await writeTables({ 'server_event.csv': ['0,1,add,,64,1,1', '0,2,add,,sixty,1,1'] });
    const err = await collect((await readAlibaba2017(d)).events()).catch((e) => e);
    expect(err).toBeInstanceOf(TraceError);
    expect(err.message).toBe(`${d}/server_event.csv:2:5: column 5 cpus: expected a number, got 'sixty'`);
  });

  it('openTrace tells 2017 from 2018 folders, also by the rows of shared table names', async () => {
    expect((await openTrace(await writeTables({ 'server_event.csv': TABLES['server_event.csv'] }))).info.format).toBe('alibaba-2017');
    expect((await openTrace(await writeTables({ 'batch_task.csv': TABLES['batch_task.csv'] }))).info.format).toBe('alibaba-2017');
    expect((await openTrace(await writeTables({ 'batch_task.csv': ['M1,2,j_1,1,Terminated,100,700,100,0.5'] }))).info.format).toBe('alibaba-2018');
    await expect(openTrace(await writeTables({ 'server_event.csv': ['0,1,add'], 'machine_meta.csv': ['m_1,0,1,1,1,1,USING'] }))).rejects.toThrow(/both Alibaba traces/);
    await expect(openTrace(await writeTables({ 'readme.txt': ['x'] }))).rejects.toThrow(/no recognised trace table/);
  });
});
