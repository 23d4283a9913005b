import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readAlibaba2018 } from '../../../simulator/traces/alibaba2018.ts';
import { TraceError, type TraceEvent } from '../../../simulator/traces/events.ts';
import { openTrace } from '../../../simulator/traces/index.ts';
import { at, collect, GiB, START, tempDir, writeTables } from './helpers.ts';

const TINY = fileURLToPath(new URL('../../../simulator/samples/alibaba-tiny', import.meta.url));

/** One line per event: seconds from the start, type, subject, and the numbers that matter. */
function brief(e: TraceEvent): string {
  const s = (e.time - START) / 1000;
  switch (e.type) {
    case 'node-add':
      return `${s} node-add ${e.node.name} ${e.node.allocatable.cpu} ${e.node.allocatable.memory} ${e.node.zone}`;
    case 'node-remove':
      return `${s} node-remove ${e.name}`;
    case 'pod-arrival':
      return `${s} pod-arrival ${e.pod.uid} ${e.pod.class} ${e.pod.app} ${e.pod.requests.cpu} ${e.pod.requests.memory} ${e.pod.runtimeMs}${e.pod.nodeName ? ' @' + e.pod.nodeName : ''}`;
    case 'pod-end':
      return `${s} pod-end ${e.uid}`;
    case 'pod-usage':
      return `${s} pod-usage ${e.uid} ${e.cpu} ${e.memory}`;
    case 'node-usage':
      return `${s} node-usage ${e.name} ${e.cpu} ${e.memory}`;
    case 'app-usage':
      return `${s} app-usage ${e.app} ${e.cpu} ${e.memory}`;
  }
}

// The replay of simulator/samples/alibaba-tiny worked out by hand (see its README.md), with
// machineMemory = 100 GiB so that normalised memory 1 is 1 GiB.
const TINY_EXPECTED = [
  `0 node-add m_1 96000 ${100 * GiB} fd2-1`,
  `0 node-add m_2 64000 ${50 * GiB} fd2-2`,
  `0 pod-arrival c_1 online app_a 4000 ${2 * GiB} 0`,
  `0 pod-usage c_1 2000 ${GiB}`,
  `0 node-usage m_1 7600 ${50 * GiB - GiB}`,
  `100 pod-arrival j_1/M1/ins_1@2 batch j_1/M1 1000 ${GiB / 2} 300000`,
  `100 pod-usage j_1/M1/ins_1@2 800 ${GiB / 4}`,
  `150 pod-arrival j_1/M1/ins_2@1 batch j_1/M1 1000 ${GiB / 2} 550000`,
  `150 pod-usage j_1/M1/ins_2@1 900 ${GiB / 2}`,
  `300 node-usage m_2 15100 ${20 * GiB - GiB / 2}`,
  `600 pod-arrival c_2 online app_a 2000 ${4 * GiB} 0`,
  `600 pod-usage c_1 1000 ${GiB}`,
  `600 node-usage m_1 18200 ${50 * GiB - GiB}`,
  `700 pod-usage c_2 400 ${2 * GiB}`,
  `800 pod-arrival j_1/R2_1/ins_3@3 batch j_1/R2_1 500 ${GiB / 4} 200000`,
  `800 pod-usage j_1/R2_1/ins_3@3 400 ${Math.round(0.2 * GiB)}`,
  `900 pod-arrival c_3 online app_b 8000 ${GiB} 0`,
  `1000 node-usage m_1 27800 ${60 * GiB - GiB}`,
  `2000 pod-arrival j_3/M9/ins_4@4 batch j_3/M9 2000 ${2 * GiB} 600000`,
  `2000 pod-usage j_3/M9/ins_4@4 1500 ${GiB}`,
  '3000 pod-end c_1',
  `5400 node-add m_3 96000 ${100 * GiB} fd2-1`,
  `6000 node-usage m_3 4800 ${10 * GiB}`,
  '7200 node-remove m_2',
];

describe('Alibaba 2018 reader', () => {
  it('replays simulator/samples/alibaba-tiny exactly as worked out by hand', async () => {
    const t = await readAlibaba2018(TINY, { machineMemory: 100 * GiB });
    const events = await collect(t.events());
    expect(events.map(brief)).toEqual(TINY_EXPECTED);
    expect(t.info).toMatchObject({ format: 'alibaba-2018', source: TINY, start: START });
    expect(t.stats.machines).toBe(3);
    expect(t.stats.dropped).toEqual({
      'batch instance without end': 1,
      'usage of a pod not live': 2,
      'usage of a machine not live': 2,
      'usage with a value missing': 1,
    });
    expect(t.stats.fallbacks).toEqual({ 'batch task unknown: requests from instance peak usage': 1 });
    // machine_meta, machine_usage and container_usage are not in time order there.
    expect(t.stats.sorted.map((f) => f.split('/').pop()).sort()).toEqual(['container_usage.csv', 'machine_meta.csv', 'machine_usage.csv']);
    const arrival = events.find((e) => e.type === 'pod-arrival' && e.pod.uid === 'j_1/M1/ins_1@2');
    expect(arrival).toEqual({
      type: 'pod-arrival',
      time: at(100),
      pod: {
        uid: 'j_1/M1/ins_1@2',
        namespace: 'batch',
        name: 'ins_1',
        class: 'batch',
        app: 'j_1/M1',
        priority: 5000,
        requests: { cpu: 1000, memory: GiB / 2 },
        runtimeMs: 300_000,
        declaredRuntimeMs: 0,
        checkpointable: false,
        job: 'j_1',
      },
    });
    // Iterating again gives the same events and fresh stats.
    expect((await collect(t.events())).map(brief)).toEqual(TINY_EXPECTED);
    expect(t.stats.events['pod-arrival']).toBe(7);
  });

  it('gives the same events when every table goes through spilled runs (tiny run size)', async () => {
    const tmp = await tempDir();
    const t = await readAlibaba2018(TINY, { machineMemory: 100 * GiB, sort: { runSize: 2, maxFanIn: 2, tmpDir: tmp } });
    expect((await collect(t.events())).map(brief)).toEqual(TINY_EXPECTED);
    expect(await readdir(tmp)).toEqual([]);
  });

  it('removes every temporary file when a read fails mid-way or is abandoned', async () => {
    const tmp = await tempDir();
    const usage = Array.from({ length: 40 }, (_, i) => `m_${(i % 4) + 1},${(40 - i) * 10},${i},${i},,,,,`);
    const meta = Array.from({ length: 20 }, (_, i) => `m_${(i % 4) + 1},${(20 - i) * 5},1,2,96,100,USING`);
    const bad = await writeTables({ 'machine_meta.csv': meta, 'machine_usage.csv': [...usage.slice(0, 30), 'm_1,5,oops,1,,,,,', ...usage.slice(30)] });
    const err = await collect((await readAlibaba2018(bad, { sort: { runSize: 3, maxFanIn: 2, tmpDir: tmp } })).events()).catch((e) => e);
    expect(err).toBeInstanceOf(TraceError);
    expect(err).toMatchObject({ line: 31, column: 3 });
    expect(await readdir(tmp)).toEqual([]);
    // Abandoned: large enough that the first batch is yielded while both sorts still merge runs.
    const many = Array.from({ length: 12_000 }, (_, i) => `m_${(i % 4) + 1},${12_000 - i},${i % 90},1,,,,,`);
    const good = await writeTables({ 'machine_meta.csv': meta, 'machine_usage.csv': many });
    const it = (await readAlibaba2018(good, { sort: { runSize: 1000, maxFanIn: 4, tmpDir: tmp } })).events()[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    expect((await readdir(tmp)).length).toBe(1); // machine_usage is being merged from spilled runs
    await it.return!(undefined);
    expect(await readdir(tmp)).toEqual([]);
  });

  it('maps units: cores x 1000, normalised memory x machineMemory (default 384 GiB), trace seconds onto start', async () => {
    const d = await writeTables({
      'machine_meta.csv': ['m_1,0,1,2,96,100,USING', 'm_2,10,1,2,48,50,USING'],
      'container_meta.csv': ['c_1,m_1,5,app,started,250,400,1.5'],
    });
    const t = await readAlibaba2018(d, { start: '2026-01-01T00:00:00Z' });
    const events = await collect(t.events());
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    expect(events.map((e) => e.time)).toEqual([t0, t0 + 5000, t0 + 10_000]);
    expect(events[0]).toMatchObject({ node: { allocatable: { cpu: 96_000, memory: 384 * GiB }, maxPods: 256 } });
    expect(events[1]).toMatchObject({ pod: { requests: { cpu: 2500, memory: Math.round(0.015 * 384 * GiB) } } });
    expect(events[2]).toMatchObject({ node: { allocatable: { cpu: 48_000, memory: 192 * GiB } } });
  });

  it('treats -1, 101 and empty values as missing, not as bad rows', async () => {
    const d = await writeTables({
      'machine_meta.csv': ['m_1,0,1,,96,100,USING', 'm_2,0,1,2,-1,100,USING', 'm_2,50,1,2,96,100,USING'],
      'machine_usage.csv': ['m_1,10,101,-1,,,,,', 'm_1,20,40,50,,,,,-1', 'm_1,30,-1,60,,,,,101'],
    });
    const t = await readAlibaba2018(d, { machineMemory: 100 * GiB });
    const events = (await collect(t.events())).map(brief);
    expect(events).toEqual([
      '0 node-add m_1 96000 107374182400 ', // no failure_domain_2: no zone
      `20 node-usage m_1 38400 ${50 * GiB}`,
      `30 node-usage m_1 38400 ${60 * GiB}`, // cpu missing: the last known value
      `50 node-add m_2 96000 ${100 * GiB} fd2-2`, // capacity known only from this row
    ]);
    expect(t.stats.dropped).toEqual({ 'usage with a value missing': 1, 'machine without capacity': 1 });
  });

  it('strict: a malformed value throws TraceError with file, line and column', async () => {
    const d = await writeTables({ 'machine_meta.csv': ['m_1,0,1,2,96,100,USING', 'm_2,0,1,2,abc,100,USING'] });
    const err = await collect((await readAlibaba2018(d)).events()).catch((e) => e);
    expect(err).toBeInstanceOf(TraceError);
    expect(err).toMatchObject({ file: `${d}/machine_meta.csv`, line: 2, column: 5 });
    expect(err.message).toBe(`${d}/machine_meta.csv:2:5: column 5 cpu_num: expected a number, got 'abc'`);
  });

  it('strict: a row with too few columns is reported too', async () => {
    const d = await writeTables({ 'batch_task.csv': ['M1,2,j_1,1,Terminated,100'] });
    const err = await collect((await readAlibaba2018(d)).events()).catch((e) => e);
    expect(err).toMatchObject({ line: 1, column: 7 });
    expect(err.message).toMatch(/expected 9 columns/);
  });

  it('lenient: skips malformed rows and counts them per file', async () => {
    const d = await writeTables({
      'machine_meta.csv': ['m_1,0,1,2,96,100,USING', 'm_2,0,1,2,abc,100,USING', 'm_3,zero,1,2,96,100,USING'],
      'machine_usage.csv': ['m_1,10,x,1,,,,,', 'm_1,20,5,5,,,,,'],
    });
    const t = await readAlibaba2018(d, { strict: false });
    const events = await collect(t.events());
    expect(events.map((e) => e.type)).toEqual(['node-add', 'node-usage']);
    expect(t.info.skipped.get(`${d}/machine_meta.csv`)).toBe(2);
    expect(t.info.skipped.get(`${d}/machine_usage.csv`)).toBe(1);
  });

  it('replays recorded placement on request', async () => {
    const t = await readAlibaba2018(TINY, { machineMemory: 100 * GiB, replayPlacement: true });
    const pinned = (await collect(t.events())).filter((e) => e.type === 'pod-arrival').map((e) => [e.pod.uid, e.pod.nodeName]);
    expect(pinned).toEqual([
      ['c_1', 'm_1'],
      ['j_1/M1/ins_1@2', 'm_1'],
      ['j_1/M1/ins_2@1', 'm_2'],
      ['c_2', 'm_2'],
      ['j_1/R2_1/ins_3@3', 'm_1'],
      ['c_3', 'm_1'],
      ['j_3/M9/ins_4@4', 'm_1'],
    ]);
  });

  it('machine usage: background is the raw sample, ignore drops it', async () => {
    const bg = await readAlibaba2018(TINY, { machineMemory: 100 * GiB, machineUsage: 'background' });
    const usage = (await collect(bg.events())).filter((e) => e.type === 'node-usage').map(brief);
    expect(usage).toEqual([`0 node-usage m_1 9600 ${50 * GiB}`, `300 node-usage m_2 16000 ${20 * GiB}`, `600 node-usage m_1 19200 ${50 * GiB}`, `1000 node-usage m_1 28800 ${60 * GiB}`, `6000 node-usage m_3 4800 ${10 * GiB}`]);
    const none = await readAlibaba2018(TINY, { machineUsage: 'ignore' });
    expect((await collect(none.events())).some((e) => e.type === 'node-usage')).toBe(false);
  });

  it('machine usage defaults to background when the trace has no pod usage', async () => {
    const d = await writeTables({ 'machine_meta.csv': ['m_1,0,1,2,10,100,USING'], 'machine_usage.csv': ['m_1,5,50,50,,,,,'] });
    const t = await readAlibaba2018(d, { machineMemory: 100 * GiB });
    expect((await collect(t.events())).map(brief)).toEqual(['0 node-add m_1 10000 107374182400 fd2-2', `5 node-usage m_1 5000 ${50 * GiB}`]);
  });

  it('derives pods from batch_task when batch_instance is absent, capped per task', async () => {
    const d = await writeTables({
      'batch_task.csv': ['M1,3,j_1,1,Terminated,100,160,50,1', 'M2_1,100,j_1,1,Terminated,200,500,101,2', 'M3,1,j_2,1,Waiting,0,0,100,1', 'M4,1,j_3,1,Running,300,400,,'],
    });
    const t = await readAlibaba2018(d, { machineMemory: 100 * GiB, maxInstancesPerTask: 2 });
    expect((await collect(t.events())).map(brief)).toEqual([
      `100 pod-arrival j_1/M1/1 batch j_1/M1 500 ${GiB} 60000`,
      `100 pod-arrival j_1/M1/2 batch j_1/M1 500 ${GiB} 60000`,
      // plan_cpu 101 is 1.01 cores (the 101 marker is for normalised 0..100 columns only).
      `200 pod-arrival j_1/M2_1/1 batch j_1/M2_1 1010 ${2 * GiB} 300000`,
      `200 pod-arrival j_1/M2_1/2 batch j_1/M2_1 1010 ${2 * GiB} 300000`,
    ]);
    expect(t.stats.dropped).toEqual({ 'instances over maxInstancesPerTask': 99, 'task without start or end': 1, 'task without requests': 1 });
  });

  it('ends containers at their last row with containerEnd last-seen (unless near the end of the table)', async () => {
    const d = await writeTables({
      'container_meta.csv': ['c_1,m_1,0,a,started,100,100,1', 'c_1,m_1,1000,a,started,100,100,1', 'c_2,m_1,0,a,started,100,100,1', 'c_2,m_1,90000,a,started,100,100,1', 'c_3,m_1,500,a,started,100,100,1', 'c_3,m_1,600,a,failed,100,100,1'],
    });
    const status = await readAlibaba2018(d);
    expect((await collect(status.events())).filter((e) => e.type === 'pod-end').map(brief)).toEqual(['600 pod-end c_3']);
    const lastSeen = await readAlibaba2018(d, { containerEnd: 'last-seen', lastSeenGraceSec: 3600 });
    expect((await collect(lastSeen.events())).filter((e) => e.type === 'pod-end').map(brief)).toEqual(['600 pod-end c_3', '1000 pod-end c_1']);
  });

  it('counts machines that never come into service, and takes other states as removal', async () => {
    const d = await writeTables({
      'machine_meta.csv': ['m_1,0,1,2,96,100,IMPORT_INSTALLING', 'm_2,0,1,2,96,100,USING', 'm_2,100,1,2,96,100,BROKEN', 'm_2,200,1,2,96,100,USING'],
    });
    const t = await readAlibaba2018(d);
    expect((await collect(t.events())).map((e) => brief(e).split(' ').slice(0, 3).join(' '))).toEqual(['0 node-add m_2', '100 node-remove m_2', '200 node-add m_2']);
    expect(t.stats.machines).toBe(2);
    const all = await readAlibaba2018(d, { upStatuses: ['USING', 'IMPORT_INSTALLING'] });
    expect((await collect(all.events())).filter((e) => e.type === 'node-add').length).toBe(3);
  });

  it('accepts an explicit map of files, and says clearly what is wrong with a folder', async () => {
    const d = await writeTables({ 'mm.csv': ['m_1,0,1,2,96,100,USING'], 'notes.txt': ['hello'] });
    const t = await readAlibaba2018({ machine_meta: `${d}/mm.csv` });
    expect((await collect(t.events())).length).toBe(1);
    await expect(readAlibaba2018(d)).rejects.toThrow(/no recognised table in .*expected any of machine_meta.csv/);
    await expect(readAlibaba2018(`${d}/nope`)).rejects.toThrow(/folder not found/);
    await expect(readAlibaba2018({ machine_meta: `${d}/missing.csv` })).rejects.toThrow(/machine_meta file not found/);
    await expect(readAlibaba2018({ machine_mta: `${d}/mm.csv` } as never)).rejects.toThrow(/unknown table\(s\) machine_mta/);
  });

  it('openTrace recognises the folder', async () => {
    const t = await openTrace(TINY);
    expect(t.info.format).toBe('alibaba-2018');
  });
});
