import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../../scheduler/core/state.ts';
import { scheduledTimes } from '../../../scheduler/kube/scheduled.ts';
import { ClusterRecorder } from '../../../simulator/traces/record.ts';
import { readTidalTrace, writeTrace } from '../../../simulator/traces/tidal.ts';
import type { TraceEvent } from '../../../simulator/traces/events.ts';
import { batch, GiB, node, pod } from '../../helpers/core.ts';

const T0 = Date.parse('2026-11-10T12:00:00Z');

describe('recording a live cluster into a trace', () => {
  it('writes the arrivals of one look in creation order (the order the scheduler saw them), not the informer\'s by name', () => {
    const state = new ClusterState();
    state.upsertNode(node('n1'), T0);
    state.upsertPod(pod({ uid: 'a', name: 'a', nodeName: 'n1', createdAt: T0 - 1000 }), T0);
    state.upsertPod(pod({ uid: 'b', name: 'b', nodeName: 'n1', createdAt: T0 - 3000 }), T0);
    state.upsertPod(pod({ uid: 'c', name: 'c', nodeName: 'n1', createdAt: T0 - 1000 }), T0);
    const rec = new ClusterRecorder();
    rec.observe(state, T0);
    expect(rec.events.flatMap((e) => (e.type === 'pod-arrival' ? [e.pod.uid] : []))).toEqual(['b', 'a', 'c']);
  });

  it("writes them in the order kube-scheduler bound them where its Scheduled events say (scheduledAt), ties in the events' order", async () => {
    const state = new ClusterState();
    state.upsertNode(node('n1'), T0);
    // One second: name order a, b, c, d; bound d, b, then a and c in the same millisecond (c's event first); e pending.
    for (const uid of ['a', 'b', 'c', 'd']) state.upsertPod(pod({ uid, name: uid, nodeName: 'n1', createdAt: T0 - 1000 }), T0);
    state.upsertPod(pod({ uid: 'e', name: 'e', createdAt: T0 - 2000 }), T0);
    const events = [
      { reason: 'Scheduled', involvedObject: { kind: 'Pod', uid: 'a' }, eventTime: new Date(T0 - 700), metadata: { resourceVersion: '120' } },
      { reason: 'Scheduled', involvedObject: { kind: 'Pod', uid: 'c' }, eventTime: new Date(T0 - 700), metadata: { resourceVersion: '118' } },
      { reason: 'Scheduled', involvedObject: { kind: 'Pod', uid: 'b' }, eventTime: new Date(T0 - 800), metadata: { resourceVersion: '117' } },
      { reason: 'Scheduled', involvedObject: { kind: 'Pod', uid: 'd' }, eventTime: new Date(T0 - 900), metadata: { resourceVersion: '116' } },
      { reason: 'FailedScheduling', involvedObject: { kind: 'Pod', uid: 'e' }, eventTime: new Date(T0 - 950), metadata: { resourceVersion: '115' } },
    ];
    const scheduled = scheduledTimes(events);
    expect([...scheduled.keys()]).toEqual(['d', 'b', 'c', 'a']);
    const rec = new ClusterRecorder();
    rec.observe(state, T0, scheduled);
    const arrivals = rec.events.flatMap((e) => (e.type === 'pod-arrival' ? [e.pod] : []));
    expect(arrivals.map((p) => p.uid)).toEqual(['e', 'd', 'b', 'c', 'a']);
    expect(arrivals.map((p) => p.scheduledAt)).toEqual([undefined, T0 - 900, T0 - 800, T0 - 700, T0 - 700]);
    // scheduledAt survives writing and reading.
    const dir = await mkdtemp(join(tmpdir(), 'tidal-rec-'));
    try {
      await writeTrace(rec.trace('test'), join(dir, 't.jsonl'));
      const back: number[] = [];
      for await (const e of (await readTidalTrace(join(dir, 't.jsonl'))).events()) if (e.type === 'pod-arrival' && e.pod.scheduledAt !== undefined) back.push(e.pod.scheduledAt);
      expect(back).toEqual([T0 - 900, T0 - 800, T0 - 700, T0 - 700]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('snapshots nodes, pods (pinned) and usage, then records what changes', async () => {
    const state = new ClusterState();
    state.upsertNode(node('n1'), T0);
    state.upsertPod(pod({ uid: 'web', app: 'shop/web', nodeName: 'n1', requests: { cpu: 2000, memory: 4 * GiB } }), T0);
    state.upsertPod(batch({ uid: 'job', nodeName: 'n1', requests: { cpu: 1000, memory: GiB }, expectedRuntimeMs: 7_200_000, startedAt: T0 - 3_600_000 }), T0);
    state.recordPodUsage('web', { cpu: 500, memory: GiB });
    state.recordNodeUsage('n1', { time: T0, online: { cpu: 1200, memory: 3 * GiB }, batch: { cpu: 800, memory: GiB } });
    const rec = new ClusterRecorder();
    rec.observe(state, T0);
    // A minute later the batch pod is gone and a node joined.
    state.removePod('job');
    state.upsertNode(node('n2'), T0 + 60_000);
    rec.observe(state, T0 + 60_000);

    const types = rec.events.map((e) => `${e.time - T0}:${e.type}`);
    expect(types).toEqual(['0:node-add', '0:pod-arrival', '0:pod-arrival', '0:pod-usage', '0:node-usage', '60000:node-add', '60000:pod-usage', '60000:node-usage', '60000:pod-end']);
    const arrivals = rec.events.filter((e): e is Extract<TraceEvent, { type: 'pod-arrival' }> => e.type === 'pod-arrival');
    expect(arrivals.find((a) => a.pod.uid === 'web')!.pod).toMatchObject({ class: 'online', app: 'shop/web', nodeName: 'n1', runtimeMs: 0 });
    // The batch pod declared 2 h and has run 1 h: 1 h is left to replay.
    expect(arrivals.find((a) => a.pod.uid === 'job')!.pod).toMatchObject({ class: 'batch', runtimeMs: 3_600_000, declaredRuntimeMs: 7_200_000, nodeName: 'n1' });
    // Node usage beyond its pods: 2000m total - 500m of the metered pod.
    expect(rec.events.find((e) => e.type === 'node-usage')).toMatchObject({ cpu: 1500, memory: 3 * GiB });

    const dir = await mkdtemp(join(tmpdir(), 'tidal-record-'));
    try {
      const file = join(dir, 'rec.jsonl');
      expect(await writeTrace(rec.trace('test cluster'), file)).toBe(rec.events.length);
      const back: TraceEvent[] = [];
      for await (const e of (await readTidalTrace(file)).events()) back.push(e);
      expect(back).toEqual(rec.events);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
