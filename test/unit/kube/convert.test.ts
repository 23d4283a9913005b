import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CLASSIFICATION } from '../../../scheduler/core/classify.ts';
import { appOf, nodeFromKube, pdbFromKube, podFromKube, podIsTerminal, podResources, type ConvertIssue } from '../../../scheduler/kube/convert.ts';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

function pod(over: { meta?: Partial<NonNullable<V1Pod['metadata']>>; spec?: Partial<NonNullable<V1Pod['spec']>>; status?: V1Pod['status'] } = {}): V1Pod {
  return {
    metadata: { name: 'p', namespace: 'default', uid: 'u-1', ...over.meta },
    spec: { containers: [], ...over.spec },
    status: over.status,
  };
}

const c = (name: string, requests: Record<string, string> = {}, limits: Record<string, string> = {}, restartPolicy?: string) => ({
  name,
  resources: { requests, limits },
  ...(restartPolicy ? { restartPolicy } : {}),
});

function issues(): { list: ConvertIssue[]; sink: (i: ConvertIssue) => void } {
  const list: ConvertIssue[] = [];
  return { list, sink: (i) => list.push(i) };
}

describe('nodeFromKube', () => {
  it('reads allocatable, pods, labels, zone and cordon', () => {
    const n: V1Node = {
      metadata: { name: 'n1', labels: { 'topology.kubernetes.io/zone': 'z1', role: 'x' } },
      spec: { unschedulable: true },
      status: { allocatable: { cpu: '15800m', memory: '62Gi', pods: '110' }, capacity: { cpu: '16', memory: '64Gi', pods: '110' } },
    };
    expect(nodeFromKube(n)).toEqual({
      name: 'n1',
      allocatable: { cpu: 15_800, memory: 62 * GiB },
      maxPods: 110,
      labels: { 'topology.kubernetes.io/zone': 'z1', role: 'x' },
      zone: 'z1',
      unschedulable: true,
    });
  });

  it('falls back to capacity, the legacy zone label and defaults, reporting malformed quantities', () => {
    const { list, sink } = issues();
    const n = nodeFromKube({ metadata: { name: 'n2', labels: { 'failure-domain.beta.kubernetes.io/zone': 'old' } }, status: { capacity: { cpu: '4', memory: 'lots' } } }, sink);
    expect(n.allocatable).toEqual({ cpu: 4000, memory: 0 });
    expect(n.maxPods).toBe(110);
    expect(n.zone).toBe('old');
    expect(n.unschedulable).toBe(false);
    expect(list).toEqual([expect.objectContaining({ object: 'Node n2', field: 'status.capacity.memory' })]);
    expect(nodeFromKube({ metadata: { name: 'n3' } }).zone).toBe('');
  });
});

describe('podResources (as kube-scheduler counts requests)', () => {
  it('sums app containers', () => {
    const p = pod({ spec: { containers: [c('a', { cpu: '500m', memory: '1Gi' }), c('b', { cpu: '250m', memory: '512Mi' })] } });
    expect(podResources(p, false).requests).toEqual({ cpu: 750, memory: GiB + 512 * MiB });
  });

  it('takes the larger of the sum and the largest init container, per resource', () => {
    const p = pod({
      spec: {
        containers: [c('a', { cpu: '1', memory: '1Gi' })],
        initContainers: [c('i1', { cpu: '2', memory: '256Mi' }), c('i2', { cpu: '500m', memory: '3Gi' })],
      },
    });
    expect(podResources(p, false).requests).toEqual({ cpu: 2000, memory: 3 * GiB });
  });

  it('adds restartable (sidecar) init containers to the sum and to the init containers that start after them', () => {
    // sidecar s (1 cpu) starts first; init i then needs its 2 cpu + the sidecar's 1 = 3; app sum = 1 + 1 (sidecar) = 2.
    const p = pod({
      spec: {
        containers: [c('a', { cpu: '1', memory: '1Gi' })],
        initContainers: [c('s', { cpu: '1', memory: '100Mi' }, {}, 'Always'), c('i', { cpu: '2', memory: '100Mi' })],
      },
    });
    expect(podResources(p, false).requests).toEqual({ cpu: 3000, memory: GiB + 100 * MiB });
    // An init container that runs before the sidecar does not see it.
    const q = pod({
      spec: {
        containers: [c('a', { cpu: '1' })],
        initContainers: [c('i', { cpu: '2' }), c('s', { cpu: '1' }, {}, 'Always')],
      },
    });
    expect(podResources(q, false).requests.cpu).toBe(2000);
  });

  it('adds pod overhead to requests, and to limits only where a limit is set', () => {
    const p = pod({ spec: { containers: [c('a', { cpu: '1', memory: '1Gi' }, { cpu: '2' })], overhead: { cpu: '250m', memory: '120Mi' } } });
    const r = podResources(p, false);
    expect(r.requests).toEqual({ cpu: 1250, memory: GiB + 120 * MiB });
    expect(r.limits).toEqual({ cpu: 2250, memory: 0 });
  });

  it('lets pod-level resources replace the containers\' cpu and memory', () => {
    const p = pod({ spec: { containers: [c('a', { cpu: '1', memory: '1Gi' })], resources: { requests: { cpu: '3' } } } });
    expect(podResources(p, false).requests).toEqual({ cpu: 3000, memory: GiB });
  });

  it('counts a pending in-place resize at its larger side (status allocated/actuated resources)', () => {
    const p = pod({
      spec: { containers: [c('a', { cpu: '1', memory: '1Gi' })] },
      status: { containerStatuses: [{ name: 'a', image: '', imageID: '', ready: true, restartCount: 0, allocatedResources: { cpu: '2', memory: '512Mi' } }] },
    });
    expect(podResources(p, false).requests).toEqual({ cpu: 2000, memory: GiB });
  });

  it('uses tidal.io/batch-cpu (millicores) and tidal.io/batch-memory (bytes) for batch pods', () => {
    const p = pod({
      spec: {
        containers: [c('a', { 'tidal.io/batch-cpu': '2000', 'tidal.io/batch-memory': '4Gi' }, { 'tidal.io/batch-cpu': '4000' })],
        initContainers: [c('i', { 'tidal.io/batch-cpu': '3000' })],
      },
    });
    expect(podResources(p, true)).toEqual({ requests: { cpu: 3000, memory: 4 * GiB }, limits: { cpu: 4000, memory: 0 }, extendedBatchResources: true });
    // Not a batch pod: the extended resources are not its cpu/memory.
    expect(podResources(p, false)).toEqual({ requests: { cpu: 0, memory: 0 }, limits: { cpu: 0, memory: 0 }, extendedBatchResources: false });
  });

  it('keeps a native figure where the batch pod names no extended one, and reports a mix', () => {
    const { list, sink } = issues();
    const p = pod({ spec: { containers: [c('a', { 'tidal.io/batch-cpu': '1500', cpu: '1', memory: '2Gi' })] } });
    expect(podResources(p, true, sink).requests).toEqual({ cpu: 1500, memory: 2 * GiB });
    expect(list.map((i) => i.field)).toEqual(['requests.cpu']);
  });

  it('reads malformed quantities as zero and reports them', () => {
    const { list, sink } = issues();
    const p = pod({ spec: { containers: [c('a', { cpu: 'two', memory: '1Gi' })] } });
    expect(podResources(p, false, sink).requests).toEqual({ cpu: 0, memory: GiB });
    expect(list).toEqual([expect.objectContaining({ field: 'spec.containers[0].resources.requests.cpu' })]);
  });
});

describe('podFromKube', () => {
  it('reads identity, class, owner, times and flags', () => {
    const p = podFromKube(
      pod({
        meta: {
          name: 'train-x',
          namespace: 'ml',
          uid: 'u-9',
          creationTimestamp: new Date('2026-11-10T10:00:00Z'),
          labels: { 'tidal.io/class': 'batch' },
          annotations: { 'tidal.io/expected-runtime': '1h30m', 'tidal.io/checkpointable': 'true', 'tidal.io/progress': '0.25' },
          ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'train', uid: 'j', controller: true }],
          deletionTimestamp: new Date('2026-11-10T12:00:00Z'),
        },
        spec: {
          nodeName: 'n1',
          priority: 5000,
          containers: [c('a', { 'tidal.io/batch-cpu': '1000', 'tidal.io/batch-memory': '1Gi' })],
          volumes: [{ name: 'scratch', emptyDir: {} }],
        },
        // Raw JSON from the wire carries strings, typed objects carry Dates: both are read.
        status: { phase: 'Running', startTime: '2026-11-10T10:01:00Z' as unknown as Date },
      }),
    );
    expect(p).toEqual({
      uid: 'u-9',
      namespace: 'ml',
      name: 'train-x',
      nodeName: 'n1',
      class: 'batch',
      app: 'ml/train',
      priority: 5000,
      labels: { 'tidal.io/class': 'batch' },
      requests: { cpu: 1000, memory: GiB },
      limits: { cpu: 0, memory: 0 },
      extendedBatchResources: true,
      createdAt: Date.parse('2026-11-10T10:00:00Z'),
      startedAt: Date.parse('2026-11-10T10:01:00Z'),
      expectedRuntimeMs: 90 * 60_000,
      checkpointable: true,
      progress: 0.25,
      ownerKind: 'Job',
      ownerName: 'train',
      isMirror: false,
      terminating: true,
      hasLocalStorage: true,
    });
  });

  it('defaults what is absent', () => {
    const p = podFromKube({ metadata: { name: 'bare' }, spec: { containers: [] } });
    expect(p).toMatchObject({ uid: 'default/bare', namespace: 'default', nodeName: '', class: 'online', app: 'default/bare', priority: 0, createdAt: 0, startedAt: 0, expectedRuntimeMs: 0, checkpointable: false, progress: -1, ownerKind: '', ownerName: '', isMirror: false, terminating: false, hasLocalStorage: false });
  });

  it('classifies with the configured rules: priority class, DaemonSet, mirror, namespace', () => {
    const cfg = { ...DEFAULT_CLASSIFICATION, systemNamespaces: ['infra'] };
    expect(podFromKube(pod({ spec: { priorityClassName: 'koord-batch', containers: [] } }), { classification: cfg }).class).toBe('batch');
    expect(podFromKube(pod({ meta: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ds', uid: 'd', controller: true }] } })).class).toBe('system');
    const mirror = podFromKube(pod({ meta: { annotations: { 'kubernetes.io/config.mirror': 'abc' } } }));
    expect(mirror.isMirror).toBe(true);
    expect(mirror.class).toBe('system');
    expect(podFromKube(pod({ meta: { namespace: 'infra' } }), { classification: cfg }).class).toBe('system');
    expect(podFromKube(pod({ spec: { priority: 4000, containers: [] } })).class).toBe('batch');
  });

  it('falls back to defaults on malformed annotations, reporting each, and never throws', () => {
    const { list, sink } = issues();
    const p = podFromKube(
      pod({ meta: { annotations: { 'tidal.io/expected-runtime': 'soon', 'tidal.io/checkpointable': 'yes', 'tidal.io/progress': '1.5' } } }),
      { onIssue: sink },
    );
    expect(p.expectedRuntimeMs).toBe(0);
    expect(p.checkpointable).toBe(false);
    expect(p.progress).toBe(-1);
    expect(list.map((i) => i.field).sort()).toEqual([
      'metadata.annotations[tidal.io/checkpointable]',
      'metadata.annotations[tidal.io/expected-runtime]',
      'metadata.annotations[tidal.io/progress]',
    ]);
    expect(podFromKube(pod({ meta: { annotations: { 'tidal.io/progress': '' } } }), { onIssue: sink }).progress).toBe(-1);
    expect(podFromKube(pod({ meta: { annotations: { 'tidal.io/progress': '0' } } })).progress).toBe(0);
  });

  it('names the app by label, then by controlling workload, then by the pod', () => {
    const owned = (kind: string, name: string, labels: Record<string, string> = {}) =>
      pod({ meta: { name: 'x-1', labels, ownerReferences: [{ apiVersion: 'v1', kind, name, uid: 'o', controller: true }] } });
    expect(appOf(owned('ReplicaSet', 'web-7d9f8b6c5d', { 'app.kubernetes.io/name': 'shop', app: 'web' }))).toBe('shop');
    expect(appOf(owned('ReplicaSet', 'web-7d9f8b6c5d', { app: 'frontend' }))).toBe('frontend');
    expect(appOf(owned('ReplicaSet', 'web-7d9f8b6c5d', { 'pod-template-hash': '7d9f8b6c5d' }))).toBe('web');
    expect(appOf(owned('ReplicaSet', 'api-server-5c6d7f8b9'))).toBe('api-server');
    expect(appOf(owned('Job', 'etl-2026'))).toBe('etl-2026');
    expect(appOf(owned('StatefulSet', 'db'))).toBe('db');
    // Owner references without controller: true do not count.
    expect(appOf(pod({ meta: { name: 'lonely', ownerReferences: [{ apiVersion: 'v1', kind: 'Job', name: 'j', uid: 'o' }] } }))).toBe('lonely');
  });

  it('tells finished pods apart', () => {
    expect(podIsTerminal(pod({ status: { phase: 'Succeeded' } }))).toBe(true);
    expect(podIsTerminal(pod({ status: { phase: 'Failed' } }))).toBe(true);
    expect(podIsTerminal(pod({ status: { phase: 'Running' } }))).toBe(false);
    expect(podIsTerminal(pod())).toBe(false);
  });
});

describe('pdbFromKube', () => {
  it('reads selector and disruptionsAllowed; a null selector protects nothing', () => {
    expect(
      pdbFromKube({
        metadata: { name: 'web', namespace: 'shop' },
        spec: { selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a'] }] } },
        status: { disruptionsAllowed: 2, currentHealthy: 3, desiredHealthy: 1, expectedPods: 3 },
      }),
    ).toEqual({ namespace: 'shop', name: 'web', selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a'] }] }, disruptionsAllowed: 2 });
    expect(pdbFromKube({ metadata: { name: 'none', namespace: 'x' }, spec: {} })).toBeNull();
    expect(pdbFromKube({ metadata: { name: 'all', namespace: 'x' }, spec: { selector: {} } })?.disruptionsAllowed).toBe(0);
  });
});
