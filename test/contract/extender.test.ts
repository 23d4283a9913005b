// The extender's HTTP contract with kube-scheduler (k8s.io/kube-scheduler/extender/v1 and
// pkg/scheduler/extender.go), over real HTTP on 127.0.0.1, with bodies shaped exactly as the scheduler
// sends them, in both nodeCacheCapable modes.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNKNOWN_NODE } from '../../scheduler/core/engine.ts';
import { NOT_SYNCED_REASON } from '../../scheduler/extender/handlers.ts';
import { startTestExtender, type TestExtender } from '../fixtures/extender/cluster.ts';
import { batchPod, extenderArgs, onlinePod, post, preemptionArgs, wireNode, wirePod } from '../fixtures/extender/payloads.ts';

let ext: TestExtender;
beforeAll(async () => {
  ext = await startTestExtender();
});
afterAll(async () => {
  await ext.close();
});

const allNodes = () => [...Object.values(ext.cluster.nodes), wireNode('ghost')];
const names = (nodes: Array<Record<string, any>>): string[] => nodes.map((n) => n.metadata.name as string);

for (const cacheCapable of [true, false]) {
  describe(`filter (nodeCacheCapable: ${cacheCapable})`, () => {
    it('passes, fails and fails unresolvably with reasons, answering in the mode it was asked', async () => {
      const nodes = allNodes();
      const pod = onlinePod('web-new', { cpu: '1', memory: '2Gi' });
      const r = await post(`${ext.base}/filter`, extenderArgs(pod, nodes, cacheCapable));
      expect(r.status).toBe(200);
      expect(r.contentType).toMatch(/^application\/json/);
      expect(Object.keys(r.json).sort()).toEqual(['Error', 'FailedAndUnresolvableNodes', 'FailedNodes', 'NodeNames', 'Nodes']);
      expect(r.json.Error).toBe('');
      if (cacheCapable) {
        expect(r.json.Nodes).toBeNull();
        expect(r.json.NodeNames).toEqual(['n1', 'n2']);
      } else {
        expect(r.json.NodeNames).toBeNull();
        // The passing subset of the input NodeList, objects unchanged (fields Tidal never reads included).
        expect(r.json.Nodes.items).toEqual([ext.cluster.nodes.n1, ext.cluster.nodes.n2]);
        expect(r.json.Nodes.metadata).toEqual({});
      }
      expect(r.json.FailedNodes).toEqual({ n5: expect.stringMatching(/^tidal\/PodCountFit: /) });
      expect(r.json.FailedAndUnresolvableNodes).toEqual({
        n3: expect.stringMatching(/^tidal\/NodeUnschedulable: /),
        n4: expect.stringMatching(/^tidal\/OnlineLoadThreshold: /),
        ghost: UNKNOWN_NODE,
      });
      // Every input node is accounted for exactly once.
      const answered = [...(r.json.NodeNames ?? names(r.json.Nodes.items)), ...Object.keys(r.json.FailedNodes), ...Object.keys(r.json.FailedAndUnresolvableNodes)];
      expect(answered.sort()).toEqual(names(nodes).sort());
    });

    it('holds batch pods to batch capacity', async () => {
      const pod = batchPod('etl-new', { 'tidal.io/batch-cpu': '2000', 'tidal.io/batch-memory': '2Gi' });
      const r = await post(`${ext.base}/filter`, extenderArgs(pod, allNodes(), cacheCapable));
      expect(r.status).toBe(200);
      expect(r.json.NodeNames ?? names(r.json.Nodes.items)).toEqual(['n1']);
      expect(r.json.FailedAndUnresolvableNodes.n2).toMatch(/^tidal\/BatchCapacityFit: /);
      expect(r.json.FailedAndUnresolvableNodes.n4).toMatch(/^tidal\/BatchCapacityFit: /);
    });

    it('answers an empty node list with an empty answer', async () => {
      const r = await post(`${ext.base}/filter`, extenderArgs(onlinePod('x', { cpu: '1' }), [], cacheCapable));
      expect(r.status).toBe(200);
      if (cacheCapable) expect(r.json.NodeNames).toEqual([]);
      else expect(r.json.Nodes.items).toEqual([]);
      expect(r.json.FailedNodes).toEqual({});
    });
  });

  describe(`prioritize (nodeCacheCapable: ${cacheCapable})`, () => {
    it('answers a bare HostPriorityList: one integer score 0..10 per input node, in order, unknown nodes 0', async () => {
      const nodes = [ext.cluster.nodes.n2, wireNode('ghost'), ext.cluster.nodes.n1, ext.cluster.nodes.n4];
      const r = await post(`${ext.base}/prioritize`, extenderArgs(onlinePod('web-new', { cpu: '1', memory: '2Gi' }), nodes, cacheCapable));
      expect(r.status).toBe(200);
      expect(Array.isArray(r.json)).toBe(true);
      expect(r.json.map((h: { Host: string }) => h.Host)).toEqual(['n2', 'ghost', 'n1', 'n4']);
      for (const h of r.json) {
        expect(Object.keys(h).sort()).toEqual(['Host', 'Score']);
        expect(Number.isInteger(h.Score)).toBe(true);
        expect(h.Score).toBeGreaterThanOrEqual(0);
        expect(h.Score).toBeLessThanOrEqual(10);
      }
      const score = Object.fromEntries(r.json.map((h: { Host: string; Score: number }) => [h.Host, h.Score]));
      expect(score.ghost).toBe(0);
      // The idle-ish node in the other zone beats the hot node.
      expect(score.n2).toBeGreaterThan(score.n4);
    });

    it('scores batch pods by batch room', async () => {
      const nodes = [ext.cluster.nodes.n1, ext.cluster.nodes.n2];
      const r = await post(`${ext.base}/prioritize`, extenderArgs(batchPod('etl-new', { 'tidal.io/batch-cpu': '1000', 'tidal.io/batch-memory': '1Gi' }), nodes, cacheCapable));
      expect(r.status).toBe(200);
      expect(r.json).toHaveLength(2);
      expect(r.json[0].Score).toBeGreaterThan(r.json[1].Score);
    });
  });

  describe(`preempt (nodeCacheCapable: ${cacheCapable})`, () => {
    it('answers NodeNameToMetaVictims with Tidal\'s cheapest batch victims, never an online pod', async () => {
      const c = ext.cluster.pods;
      // An online pod needing 6 cpu on n2 (14 of 16 requested): the scheduler proposes api-1 and batch-3.
      const preemptor = onlinePod('big', { cpu: '6', memory: '4Gi' }, { priority: 2000 });
      const r = await post(`${ext.base}/preempt`, preemptionArgs(preemptor, { n2: { pods: [c.api1, c.batch3] } }, cacheCapable));
      expect(r.status).toBe(200);
      expect(Object.keys(r.json)).toEqual(['NodeNameToMetaVictims']);
      // batch-4 is checkpointable and younger: cheaper than batch-3, and enough on its own.
      expect(r.json.NodeNameToMetaVictims).toEqual({ n2: { Pods: [{ UID: c.batch4.metadata.uid }], NumPDBViolations: 0 } });
    });

    it('drops a node where batch cannot make room, keeps others, and counts PDB violations', async () => {
      const c = ext.cluster.pods;
      // 13 cpu on n2 needs both batch pods (the etl budget allows 1 disruption: 1 violation).
      const r13 = await post(`${ext.base}/preempt`, preemptionArgs(onlinePod('big', { cpu: '13' }, { priority: 2000 }), { n2: { pods: [c.api1, c.batch3, c.batch4] } }, cacheCapable));
      expect(r13.json.NodeNameToMetaVictims.n2.Pods.map((p: { UID: string }) => p.UID).sort()).toEqual([c.batch3.metadata.uid, c.batch4.metadata.uid].sort());
      expect(r13.json.NodeNameToMetaVictims.n2.NumPDBViolations).toBe(1);
      // On n1 batch cannot free 13 cpu in kube-scheduler's terms (batch-2 runs on tidal.io resources,
      // which NodeResourcesFit does not count): n1 is dropped, n2 kept.
      const two = await post(
        `${ext.base}/preempt`,
        preemptionArgs(onlinePod('huge', { cpu: '13' }, { priority: 2000 }), { n2: { pods: [c.api1] }, n1: { pods: [c.web1, c.batch1] } }, cacheCapable),
      );
      expect(Object.keys(two.json.NodeNameToMetaVictims)).toEqual(['n2']);
      // 15 cpu does not fit on n2 even without every batch pod: nothing to preempt.
      const r16 = await post(`${ext.base}/preempt`, preemptionArgs(onlinePod('huger', { cpu: '15' }, { priority: 2000 }), { n2: { pods: [c.api1, c.batch3, c.batch4] } }, cacheCapable));
      expect(r16.status).toBe(200);
      expect(r16.json).toEqual({ NodeNameToMetaVictims: {} });
    });

    it('never returns a node without victims, nor an unknown node', async () => {
      const c = ext.cluster.pods;
      const r = await post(
        `${ext.base}/preempt`,
        preemptionArgs(onlinePod('p', { cpu: '1' }, { priority: 2000 }), { n1: { pods: [] }, ghost: { pods: [c.batch1] }, n2: { pods: [c.api1] } }, cacheCapable),
      );
      expect(r.status).toBe(200);
      for (const v of Object.values(r.json.NodeNameToMetaVictims) as Array<{ Pods: unknown[] }>) expect(v.Pods.length).toBeGreaterThanOrEqual(1);
      expect(r.json.NodeNameToMetaVictims.ghost).toBeUndefined();
      expect(r.json.NodeNameToMetaVictims.n1).toBeUndefined();
    });
  });
}

describe('wire details', () => {
  it('matches top-level keys case-insensitively, as Go decodes them', async () => {
    const r = await post(`${ext.base}/filter`, { pod: onlinePod('web-new', { cpu: '1' }), nodes: null, nodenames: ['n1', 'n3'] });
    expect(r.status).toBe(200);
    expect(r.json.NodeNames).toEqual(['n1']);
  });

  it('accepts a NodeList whose items are null (the scheduler marshals an empty slice so)', async () => {
    const r = await post(`${ext.base}/prioritize`, { Pod: onlinePod('x', {}), Nodes: { metadata: {}, items: null }, NodeNames: null });
    expect(r.status).toBe(200);
    expect(r.json).toEqual([]);
  });

  it('serves /healthz, /readyz and /metrics', async () => {
    expect((await fetch(`${ext.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${ext.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true });
    const m = await (await fetch(`${ext.url}/metrics`)).text();
    expect(m).toMatch(/tidal_extender_requests_total\{verb="filter",code="200"\} \d+/);
    expect(m).toMatch(/tidal_extender_request_duration_seconds_bucket\{le="0.001",verb="filter",code="200"\}/);
    expect(m).toMatch(/tidal_extender_filter_decisions_total\{class="online",result="unresolvable",plugin="OnlineLoadThreshold"\}/);
    expect(m).toMatch(/tidal_extender_preemption_victims_total\{class="online"\} [1-9]/);
  });
});

describe('errors', () => {
  const cases: Array<[string, string, unknown, RegExp]> = [
    ['a body that is not an object', 'filter', [1, 2], /request body must be a JSON object/],
    ['a missing Pod', 'filter', { Nodes: null, NodeNames: ['n1'] }, /^Pod: required/],
    ['a Pod that is not an object', 'prioritize', { Pod: 'web', Nodes: null, NodeNames: ['n1'] }, /^Pod: must be an object \(a v1\.Pod\) \(got a string\)/],
    ['a Pod without a name', 'filter', { Pod: { metadata: {} }, Nodes: null, NodeNames: ['n1'] }, /^Pod\.metadata\.name: required/],
    ['containers that are not a list', 'filter', { Pod: { metadata: { name: 'p' }, spec: { containers: {} } }, NodeNames: ['n1'] }, /^Pod\.spec\.containers: must be an array/],
    ['requests that are not an object', 'filter', { Pod: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', resources: { requests: 'lots' } }] } }, NodeNames: ['n1'] }, /^Pod\.spec\.containers\[0\]\.resources\.requests: must be an object/],
    ['labels that are not strings', 'filter', { Pod: { metadata: { name: 'p', labels: { app: 1 } } }, NodeNames: ['n1'] }, /^Pod\.metadata\.labels\[app\]: must be a string/],
    ['NodeNames that are not an array', 'filter', { Pod: wirePod({ name: 'p' }), Nodes: null, NodeNames: 'n1' }, /^NodeNames: must be an array/],
    ['NodeNames with a non-string', 'prioritize', { Pod: wirePod({ name: 'p' }), Nodes: null, NodeNames: ['n1', 7] }, /^NodeNames\[1\]: must be a string/],
    ['both Nodes and NodeNames null', 'filter', { Pod: wirePod({ name: 'p' }), Nodes: null, NodeNames: null }, /both null/],
    ['both Nodes and NodeNames set', 'filter', { Pod: wirePod({ name: 'p' }), Nodes: { items: [] }, NodeNames: [] }, /both set/],
    ['Nodes.items that are not an array', 'filter', { Pod: wirePod({ name: 'p' }), Nodes: { items: {} } }, /^Nodes\.items: must be an array/],
    ['a node without a name', 'filter', { Pod: wirePod({ name: 'p' }), Nodes: { items: [{ metadata: {} }] } }, /^Nodes\.items\[0\]\.metadata\.name: required/],
    ['victims missing', 'preempt', { Pod: wirePod({ name: 'p' }), NodeNameToVictims: null, NodeNameToMetaVictims: null }, /both null/],
    ['a MetaPod without UID', 'preempt', { Pod: wirePod({ name: 'p' }), NodeNameToMetaVictims: { n1: { Pods: [{}], NumPDBViolations: 0 } } }, /^NodeNameToMetaVictims\[n1\]\.Pods\[0\]\.UID: required/],
    ['a victim pod without uid', 'preempt', { Pod: wirePod({ name: 'p' }), NodeNameToVictims: { n1: { Pods: [{ metadata: { name: 'v' } }], NumPDBViolations: 0 } } }, /^NodeNameToVictims\[n1\]\.Pods\[0\]\.metadata\.uid: required/],
    ['a negative NumPDBViolations', 'preempt', { Pod: wirePod({ name: 'p' }), NodeNameToMetaVictims: { n1: { Pods: [], NumPDBViolations: -1 } } }, /NumPDBViolations: must be a non-negative integer/],
  ];
  for (const [what, verb, body, message] of cases) {
    it(`answers 400 to ${what} (${verb})`, async () => {
      const r = await post(`${ext.base}/${verb}`, body);
      expect(r.status).toBe(400);
      expect(r.json.Error).toMatch(message);
      if (verb === 'filter') expect(r.json).toMatchObject({ NodeNames: null, Nodes: null, FailedNodes: {}, FailedAndUnresolvableNodes: {} });
    });
  }

  it('answers 400 to malformed JSON, naming the problem', async () => {
    const r = await post(`${ext.base}/filter`, null, { raw: '{"Pod": {"metadata": ' });
    expect(r.status).toBe(400);
    expect(r.json.Error).toMatch(/^malformed JSON: /);
  });

  it('answers 415 to a body that is not application/json (docs/security.md)', async () => {
    const r = await post(`${ext.base}/filter`, null, { raw: 'Pod=web', contentType: 'application/x-www-form-urlencoded' });
    expect(r.status).toBe(415);
    expect(r.json.Error).toMatch(/Content-Type must be application\/json/);
    const t = await post(`${ext.base}/prioritize`, null, { raw: '{}', contentType: 'text/plain' });
    expect(t.status).toBe(415);
  });

  it('answers 413 to a body over the limit', async () => {
    const small = await startTestExtender({ maxBodyBytes: 2048 });
    try {
      const nodes = Array.from({ length: 20 }, (_, i) => wireNode(`big-${i}`));
      const r = await post(`${small.base}/filter`, extenderArgs(onlinePod('x', { cpu: '1' }), nodes, false));
      expect(r.status).toBe(413);
      expect(r.json.Error).toMatch(/exceeds the limit of 2048 bytes/);
      // Still serving.
      expect((await post(`${small.base}/filter`, extenderArgs(onlinePod('x', { cpu: '1' }), [small.cluster.nodes.n1], true))).status).toBe(200);
    } finally {
      await small.close();
    }
  });

  it('answers 404 to an unknown route and 405 to a verb without POST', async () => {
    const r = await post(`${ext.base}/unreserve`, { PodName: 'p', PodNamespace: 'default', PodUID: 'u', Node: 'n1' });
    expect(r.status).toBe(404);
    expect(r.json.Error).toMatch(/no route POST \/scheduler\/unreserve: the extender serves POST \/scheduler\/\{filter,prioritize,preempt,bind\}/);
    expect((await fetch(`${ext.url}/nowhere`)).status).toBe(404);
    const g = await fetch(`${ext.base}/filter`);
    expect(g.status).toBe(405);
    expect(g.headers.get('allow')).toBe('POST');
  });

  it('bind: answers ExtenderBindingResult ({"Error": ...} only), 400 on a malformed ExtenderBindingArgs; without a cluster the Error says so', async () => {
    // ExtenderBindingArgs as kube-scheduler marshals them: Go field names, no json tags.
    const body = { PodName: 'etl-new', PodNamespace: 'default', PodUID: '00000000-0000-4000-8000-00000000abcd', Node: 'n1' };
    const r = await post(`${ext.base}/bind`, body);
    expect(r.status).toBe(200);
    expect(r.contentType).toMatch(/^application\/json/);
    expect(Object.keys(r.json)).toEqual(['Error']);
    expect(r.json.Error).toMatch(/binding needs a cluster/);
    const bad = await post(`${ext.base}/bind`, { ...body, Node: null });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ Error: 'Node: required (a non-empty string, got null)' });
    expect((await fetch(`${ext.base}/bind`)).status).toBe(405);
  });

  it('answers 500 with the error in Error when Tidal fails inside, and keeps serving', async () => {
    const original = ext.engine.verdicts;
    ext.engine.verdicts = () => {
      throw new Error('injected failure');
    };
    try {
      const r = await post(`${ext.base}/filter`, extenderArgs(onlinePod('x', { cpu: '1' }), [ext.cluster.nodes.n1], true));
      expect(r.status).toBe(500);
      expect(r.json).toEqual({ Nodes: null, NodeNames: null, FailedNodes: {}, FailedAndUnresolvableNodes: {}, Error: 'tidal extender internal error in filter: injected failure' });
    } finally {
      ext.engine.verdicts = original;
    }
    const ok = await post(`${ext.base}/filter`, extenderArgs(onlinePod('x', { cpu: '1' }), [ext.cluster.nodes.n1], true));
    expect(ok.status).toBe(200);
    expect(ok.json.NodeNames).toEqual(['n1']);
  });
});

describe('before the cluster state has synced', () => {
  let cold: TestExtender;
  beforeAll(async () => {
    cold = await startTestExtender({ synced: false });
  });
  afterAll(async () => {
    await cold.close();
  });

  for (const cacheCapable of [true, false]) {
    it(`lets online pods through and holds batch pods back (nodeCacheCapable: ${cacheCapable})`, async () => {
      const nodes = Object.values(cold.cluster.nodes);
      const online = await post(`${cold.base}/filter`, extenderArgs(onlinePod('w', { cpu: '1' }), nodes, cacheCapable));
      expect(online.status).toBe(200);
      expect(online.json.NodeNames ?? names(online.json.Nodes.items)).toEqual(names(nodes));
      expect(online.json.FailedNodes).toEqual({});
      const batch = await post(`${cold.base}/filter`, extenderArgs(batchPod('b', { 'tidal.io/batch-cpu': '100' }), nodes, cacheCapable));
      expect(batch.status).toBe(200);
      expect(batch.json.NodeNames ?? names(batch.json.Nodes.items)).toEqual([]);
      expect(batch.json.FailedNodes).toEqual(Object.fromEntries(names(nodes).map((n) => [n, NOT_SYNCED_REASON])));
    });
  }

  it('scores every node 0, preempts nothing, and says why on /readyz', async () => {
    const nodes = Object.values(cold.cluster.nodes);
    const p = await post(`${cold.base}/prioritize`, extenderArgs(onlinePod('w', { cpu: '1' }), nodes, true));
    expect(p.json).toEqual(names(nodes).map((Host) => ({ Host, Score: 0 })));
    const c = cold.cluster.pods;
    const pre = await post(`${cold.base}/preempt`, preemptionArgs(onlinePod('big', { cpu: '6' }, { priority: 2000 }), { n2: { pods: [c.batch3] } }, true));
    expect(pre.json).toEqual({ NodeNameToMetaVictims: {} });
    const ready = await fetch(`${cold.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { reason: string }).reason).toMatch(/not synced yet/);
    const m = await (await fetch(`${cold.url}/metrics`)).text();
    expect(m).toMatch(/tidal_extender_not_ready_answers_total\{verb="filter",class="batch",mode="closed"\} [1-9]/);
  });

  it('answers as configured per class, and normally once synced', async () => {
    const custom = await startTestExtender({ synced: false, whenNotReady: { online: 'closed', batch: 'open' }, urlPrefix: '/tidal/v1' });
    try {
      const nodes = [custom.cluster.nodes.n1, custom.cluster.nodes.n3];
      const online = await post(`${custom.base}/filter`, extenderArgs(onlinePod('w', { cpu: '1' }), nodes, true));
      expect(online.json.NodeNames).toEqual([]);
      expect(Object.keys(online.json.FailedNodes)).toEqual(['n1', 'n3']);
      const batch = await post(`${custom.base}/filter`, extenderArgs(batchPod('b', { 'tidal.io/batch-cpu': '100' }), nodes, true));
      expect(batch.json.NodeNames).toEqual(['n1', 'n3']);
      custom.source.synced = true;
      const after = await post(`${custom.base}/filter`, extenderArgs(onlinePod('w', { cpu: '1' }), nodes, true));
      expect(after.json.NodeNames).toEqual(['n1']);
      expect(after.json.FailedAndUnresolvableNodes.n3).toMatch(/NodeUnschedulable/);
    } finally {
      await custom.close();
    }
  });
});
