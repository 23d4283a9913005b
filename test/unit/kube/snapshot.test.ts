import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { predictedNonBatch } from '../../../scheduler/core/capacity.ts';
import { DEFAULT_CLASSIFICATION } from '../../../scheduler/core/classify.ts';
import { VirtualClock } from '../../../scheduler/core/clock.ts';
import { ClusterState } from '../../../scheduler/core/state.ts';
import { loadSnapshot, loadSnapshotFile, SnapshotError, StaticStateSource } from '../../../scheduler/kube/snapshot.ts';

const NOW = Date.parse('2026-11-10T12:00:00Z');
const GiB = 2 ** 30;
const SAMPLE = fileURLToPath(new URL('../../../scheduler/extender/sample-state.json', import.meta.url));

const opts = (clock = new VirtualClock(NOW)) => ({ clock, classification: DEFAULT_CLASSIFICATION });
const node = (name: string) => ({ kind: 'Node', metadata: { name }, status: { allocatable: { cpu: '8', memory: '32Gi', pods: '110' } } });
const pod = (name: string, nodeName: string, phase = 'Running') => ({
  kind: 'Pod',
  metadata: { name, namespace: 'default', uid: `uid-${name}` },
  spec: { nodeName, containers: [{ name: 'c', resources: { requests: { cpu: '1', memory: '1Gi' } } }] },
  status: { phase },
});

describe('cluster snapshots', () => {
  it('load the shipped sample', () => {
    const state = new ClusterState();
    const s = loadSnapshotFile(SAMPLE, state, opts());
    expect(s).toMatchObject({ nodes: 4, pods: 11, pdbs: 1, samples: 28, finished: 0 });
    expect(state.nodes.get('node-d')!.spec.unschedulable).toBe(true);
    // Usage is fresh at load time, so the core predicts from it rather than from requests.
    const a = state.nodes.get('node-a')!;
    expect(predictedNonBatch(a, NOW).cpu).toBeGreaterThan(4000);
    expect(a.usage.latestTime()).toBe(NOW - 60_000);
  });

  it('read a ClusterSnapshot: usage by ago or time, pod usage, finished pods skipped, pods metered by the samples', () => {
    const state = new ClusterState();
    const s = loadSnapshot(
      {
        apiVersion: 'tidal.io/v1alpha1',
        kind: 'ClusterSnapshot',
        nodes: [node('n1')],
        pods: [pod('a', 'n1'), pod('done', 'n1', 'Succeeded')],
        usage: [{ node: 'n1', samples: [{ time: '2026-11-10T11:58:00Z', online: { cpu: '2', memory: '4Gi' } }, { ago: '5m', online: { cpu: '1500m', memory: '3Gi' }, batch: { cpu: 0 } }] }],
        podUsage: [{ name: 'a', cpu: '700m', memory: '512Mi' }],
      },
      state,
      opts(),
    );
    expect(s).toMatchObject({ nodes: 1, pods: 1, samples: 2, finished: 1 });
    const n1 = state.nodes.get('n1')!;
    expect(n1.usage.latest()).toEqual({ time: NOW - 120_000, online: { cpu: 2000, memory: 4 * GiB }, batch: { cpu: 0, memory: 0 } });
    // The pod has no startTime: taken as running when the samples were taken, not on top of them.
    expect(n1.unmeteredRequests).toEqual({ cpu: 0, memory: 0 });
    expect(state.podUsage.get('uid-a')).toEqual({ cpu: 700, memory: 512 * 2 ** 20 });
  });

  it('read a kubectl List with metrics objects, ignoring other kinds', () => {
    const state = new ClusterState();
    const s = loadSnapshot(
      {
        apiVersion: 'v1',
        kind: 'List',
        items: [
          node('n1'),
          { kind: 'PodList', items: [pod('a', 'n1'), { ...pod('b', 'n1'), metadata: { name: 'b', namespace: 'default', uid: 'uid-b', labels: { 'tidal.io/class': 'batch' } } }] },
          { kind: 'Service', metadata: { name: 'svc' } },
          { kind: 'ConfigMap' },
          { kind: 'NodeMetrics', metadata: { name: 'n1' }, usage: { cpu: '3', memory: '6Gi' } },
          { kind: 'PodMetrics', metadata: { name: 'b', namespace: 'default' }, containers: [{ name: 'c', usage: { cpu: '1', memory: '1Gi' } }] },
        ],
      },
      state,
      opts(),
    );
    expect(s).toMatchObject({ nodes: 1, pods: 2, samples: 1 });
    expect(state.nodes.get('n1')!.usage.latest()).toEqual({ time: NOW, online: { cpu: 2000, memory: 5 * GiB }, batch: { cpu: 1000, memory: GiB } });
  });

  it('name every problem', () => {
    const bad = {
      apiVersion: 'tidal.io/v1alpha1',
      kind: 'ClusterSnapshot',
      nodez: [],
      nodes: [{ metadata: {} }, node('n1')],
      pods: 'none',
      usage: [{ node: 'n1', samples: [{ ago: 'yesterday', online: { cpu: '1' } }, { online: { cpu: 'x' }, time: 'noon' }, { ago: '1m' }] }, { node: 'n9', samples: [{ ago: '1m', online: {} }] }],
    };
    let err: unknown;
    try {
      loadSnapshot(bad, new ClusterState(), { ...opts(), file: 'bad.yaml' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SnapshotError);
    const problems = (err as SnapshotError).problems;
    expect(problems).toEqual([
      expect.stringMatching(/^nodez: unknown field/),
      'nodes[0].metadata.name: required',
      'pods: must be a list',
      expect.stringMatching(/^usage\[0\]\.samples\[0\]\.ago: "yesterday" is not a duration/),
      expect.stringMatching(/^usage\[0\]\.samples\[1\]\.time: not an ISO 8601 time/),
      expect.stringMatching(/^usage\[0\]\.samples\[1\]\.online\.cpu: "x" is not a Kubernetes quantity/),
      'usage[0].samples[2].online: required: {cpu, memory} as Kubernetes quantities',
    ]);
    expect((err as Error).message).toMatch(/^bad\.yaml: invalid cluster snapshot/);
    // Usage for an unknown node is reported after loading.
    expect(() => loadSnapshot({ apiVersion: 'tidal.io/v1alpha1', kind: 'ClusterSnapshot', usage: [{ node: 'n9', samples: [{ ago: '1m', online: {} }] }] }, new ClusterState(), opts())).toThrow(/node n9 is not among the snapshot's nodes/);
    expect(() => loadSnapshot({ kind: 'Deployment' }, new ClusterState(), opts())).toThrow(/kind: must be ClusterSnapshot or List/);
  });

  it('read YAML files and report unreadable ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidal-snap-'));
    const f = join(dir, 's.yaml');
    writeFileSync(f, 'apiVersion: tidal.io/v1alpha1\nkind: ClusterSnapshot\nnodes:\n  - metadata: {name: n1}\n    status: {allocatable: {cpu: "2", memory: 4Gi}}\n');
    const state = new ClusterState();
    expect(loadSnapshotFile(f, state, opts()).nodes).toBe(1);
    writeFileSync(f, 'nodes: [\n');
    expect(() => loadSnapshotFile(f, new ClusterState(), opts())).toThrow(/not JSON or YAML/);
    expect(() => loadSnapshotFile(join(dir, 'missing.yaml'), new ClusterState(), opts())).toThrow(/cannot read/);
  });

  it('keep usage fresh on a long-running static source', () => {
    const clock = new VirtualClock(NOW);
    const state = new ClusterState();
    loadSnapshotFile(SAMPLE, state, opts(clock));
    const source = new StaticStateSource(state, { clock, refreshMs: 15_000 });
    expect(source.isSynced()).toBe(true);
    expect(source.readiness()).toMatchObject({ ready: true, reason: 'synced' });
    clock.advance(3_600_000);
    const a = state.nodes.get('node-a')!;
    const before = a.usage.latest()!;
    source.refresh();
    expect(a.usage.latest()).toEqual({ ...before, time: NOW + 3_600_000 });
  });
});
