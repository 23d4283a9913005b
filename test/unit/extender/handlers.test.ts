import { describe, expect, it, vi } from 'vitest';
import { ExtenderHandlers, toExtenderScore } from '../../../scheduler/extender/handlers.ts';
import { ExtenderMetrics } from '../../../scheduler/extender/metrics.ts';
import { normalizeUrlPrefix } from '../../../scheduler/extender/server.ts';
import { parseExtenderArgs, parsePreemptionArgs, WireError } from '../../../scheduler/extender/wire.ts';
import { startTestExtender } from '../../fixtures/extender/cluster.ts';
import { batchPod, extenderArgs, onlinePod, preemptionArgs } from '../../fixtures/extender/payloads.ts';

describe('toExtenderScore', () => {
  it('maps 0..100 to integers 0..10, rounding, and clamps', () => {
    expect([0, 4.9, 5, 14.9, 15, 50, 94.9, 95, 100, 130, -3, NaN].map(toExtenderScore)).toEqual([0, 0, 1, 1, 2, 5, 9, 10, 10, 10, 0, 0]);
  });
});

describe('normalizeUrlPrefix', () => {
  it('accepts paths with or without slashes and refuses route syntax', () => {
    expect(normalizeUrlPrefix('/scheduler')).toBe('/scheduler');
    expect(normalizeUrlPrefix('scheduler/')).toBe('/scheduler');
    expect(normalizeUrlPrefix('/tidal/v1/')).toBe('/tidal/v1');
    expect(normalizeUrlPrefix('/')).toBe('');
    expect(normalizeUrlPrefix('')).toBe('');
    expect(() => normalizeUrlPrefix('/x/:verb')).toThrow(/must be a path/);
    expect(() => normalizeUrlPrefix('http://host/scheduler')).toThrow(/must be a path/);
  });
});

describe('wire parsing', () => {
  it('keeps what kube-scheduler sends and rejects with the field named', () => {
    const pod = onlinePod('p', { cpu: '1' });
    const a = parseExtenderArgs(extenderArgs(pod, [], true));
    expect(a.NodeNames).toEqual([]);
    expect(a.Nodes).toBeNull();
    expect(a.Pod).toBe(pod);
    const b = parseExtenderArgs({ Pod: pod, Nodes: { metadata: {} } });
    expect(b.Nodes).toEqual({ metadata: {}, items: null });
    expect(() => parseExtenderArgs({ Pod: pod, Nodes: null, NodeNames: [null] })).toThrow(new WireError('NodeNames[0]: must be a string (got null)'));
    expect(() => parsePreemptionArgs({ Pod: pod, NodeNameToMetaVictims: [] })).toThrow(/^NodeNameToMetaVictims: must be an object mapping node names to MetaVictims \(got an array\)/);
    const p = parsePreemptionArgs({ Pod: pod, NodeNameToMetaVictims: { n1: null, n2: { Pods: null } } });
    expect(p.NodeNameToMetaVictims).toEqual({ n1: null, n2: { Pods: [], NumPDBViolations: 0 } });
  });
});

describe('ExtenderHandlers', () => {
  it('calls the engine once per request: one context and one verdicts or scoreNames pass', async () => {
    const ext = await startTestExtender();
    try {
      const h = new ExtenderHandlers({ engine: ext.engine, source: ext.source, clock: ext.clock, metrics: new ExtenderMetrics() });
      const context = vi.spyOn(ext.engine, 'context');
      const verdicts = vi.spyOn(ext.engine, 'verdicts');
      const score = vi.spyOn(ext.engine, 'scoreNames');
      const nodes = Object.values(ext.cluster.nodes);
      h.filterJson(parseExtenderArgs(extenderArgs(onlinePod('w', { cpu: '1' }), nodes, true)));
      expect([context.mock.calls.length, verdicts.mock.calls.length, score.mock.calls.length]).toEqual([1, 1, 0]);
      h.prioritizeJson(parseExtenderArgs(extenderArgs(batchPod('b', { 'tidal.io/batch-cpu': '100' }), nodes, false)));
      expect([context.mock.calls.length, verdicts.mock.calls.length, score.mock.calls.length]).toEqual([2, 1, 1]);
      // The node names handed to the engine are the request's own array (no copy per request).
      const args = parseExtenderArgs(extenderArgs(onlinePod('w', { cpu: '1' }), nodes, true));
      h.filterJson(args);
      expect(verdicts.mock.calls[1]![1]).toBe(args.NodeNames);
    } finally {
      await ext.close();
    }
  });

  it('writes the same answer as JSON text as it builds as objects, in both modes, synced or not', async () => {
    const ext = await startTestExtender();
    try {
      const h = new ExtenderHandlers({ engine: ext.engine, source: ext.source, clock: ext.clock, metrics: new ExtenderMetrics() });
      const nodes = [...Object.values(ext.cluster.nodes), { metadata: { name: 'gone' } }, { metadata: { name: '__proto__' } }, { metadata: { name: 'we"ird\\name' } }];
      const pods = [onlinePod('w', { cpu: '1' }), onlinePod('big', { cpu: '15' }), batchPod('b', { 'tidal.io/batch-cpu': '100' }), batchPod('huge', { 'tidal.io/batch-cpu': '64000' })];
      for (const synced of [true, false]) {
        ext.source.synced = synced;
        for (const pod of pods) {
          for (const cache of [true, false]) {
            const args = parseExtenderArgs(JSON.parse(JSON.stringify(extenderArgs(pod, nodes, cache))));
            expect(JSON.parse(h.filterJson(args))).toEqual(JSON.parse(JSON.stringify(h.filter(args))));
            expect(JSON.parse(h.prioritizeJson(args))).toEqual(h.prioritize(args));
          }
        }
      }
      // A node named __proto__ is an ordinary key of the answer.
      ext.source.synced = true;
      const a = JSON.parse(h.filterJson(parseExtenderArgs(JSON.parse(JSON.stringify(extenderArgs(pods[0], nodes, true))))));
      expect(Object.hasOwn(a.FailedAndUnresolvableNodes, '__proto__')).toBe(true);
      expect(Object.hasOwn(a.FailedAndUnresolvableNodes, 'we"ird\\name')).toBe(true);
    } finally {
      await ext.close();
    }
  });

  it('refuses an engine that does not read the source\'s state', async () => {
    const a = await startTestExtender();
    const b = await startTestExtender();
    try {
      expect(() => new ExtenderHandlers({ engine: a.engine, source: b.source })).toThrow(/must read the state source's state/);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('logs one line per decision at debug level', async () => {
    const ext = await startTestExtender();
    try {
      const lines: unknown[] = [];
      const log = { isLevelEnabled: (l: string) => l === 'debug', debug: (o: unknown) => lines.push(o), warn: () => {} };
      const h = new ExtenderHandlers({ engine: ext.engine, source: ext.source, clock: ext.clock, log: log as never });
      const nodes = Object.values(ext.cluster.nodes);
      h.filter(parseExtenderArgs(extenderArgs(onlinePod('w', { cpu: '1' }), nodes, true)));
      h.preempt(parsePreemptionArgs(preemptionArgs(onlinePod('big', { cpu: '6' }, { priority: 2000 }), { n2: { pods: [ext.cluster.pods.batch3] } }, true)));
      expect(lines).toEqual([
        expect.objectContaining({ verb: 'filter', pod: 'default/w', class: 'online', nodesIn: 5, passed: 2, failed: { NodeUnschedulable: 1, OnlineLoadThreshold: 1, PodCountFit: 1 }, durationMs: expect.any(Number) }),
        expect.objectContaining({ verb: 'preempt', pod: 'default/big', nodesIn: 1, passed: 1, failed: { victims: 1 } }),
      ]);
    } finally {
      await ext.close();
    }
  });
});
