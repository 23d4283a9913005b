import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PROFILE, runDemo, SAMPLE_STATE } from '../../../scheduler/cli/demo.ts';
import { runExtender, type ExtenderCliOptions } from '../../../scheduler/cli/extender.ts';
import { NOT_SYNCED_REASON } from '../../../scheduler/extender/handlers.ts';
import { extenderArgs, onlinePod, post } from '../../fixtures/extender/payloads.ts';

const EXAMPLE_CONFIG = fileURLToPath(new URL('../../../scheduler/config/example-config.yaml', import.meta.url));

const opts = (over: Partial<ExtenderCliOptions> = {}): ExtenderCliOptions => ({
  address: '127.0.0.1',
  port: '0',
  urlPrefix: '/scheduler',
  profile: DEFAULT_PROFILE,
  state: SAMPLE_STATE,
  maxBodyBytes: '16Mi',
  metricsInterval: '15s',
  onlineWhenNotReady: 'open',
  batchWhenNotReady: 'closed',
  logLevel: 'silent',
  ...over,
});

describe('tidal extender', () => {
  it('serves the three verbs over a snapshot and shuts down gracefully', async () => {
    const p = await runExtender(opts({ config: EXAMPLE_CONFIG, at: '2026-11-11T03:00' }), false);
    try {
      const base = `${p.server.url}/scheduler`;
      expect((await fetch(`${p.server.url}/readyz`)).status).toBe(200);
      const nodes = ['node-a', 'node-b', 'node-c', 'node-d'].map((name) => ({ metadata: { name } }));
      const f = await post(`${base}/filter`, extenderArgs(onlinePod('w', { cpu: '1', memory: '2Gi' }), nodes, true));
      expect(f.status).toBe(200);
      expect(f.json.NodeNames).toEqual(['node-a', 'node-c']);
      const pr = await post(`${base}/prioritize`, extenderArgs(onlinePod('w', { cpu: '1', memory: '2Gi' }), nodes.slice(0, 3), true));
      expect(pr.json.map((h: { Host: string }) => h.Host)).toEqual(['node-a', 'node-b', 'node-c']);
      const pe = await post(`${base}/preempt`, { Pod: onlinePod('w', { cpu: '1' }), NodeNameToVictims: null, NodeNameToMetaVictims: {} });
      expect(pe.json).toEqual({ NodeNameToMetaVictims: {} });
      const m = await (await fetch(`${p.server.url}/metrics`)).text();
      expect(m).toMatch(/process_cpu_user_seconds_total/);
    } finally {
      await p.shutdown('test');
    }
    await p.done;
    await expect(fetch(`${p.server.url}/healthz`)).rejects.toThrow();
  });

  it('starts unready against an unreachable cluster, answering as configured', async () => {
    const kubeconfig = fileURLToPath(new URL('../../fixtures/extender/unreachable.kubeconfig', import.meta.url));
    // Against a cluster, plain HTTP must be chosen explicitly.
    await expect(runExtender(opts({ state: undefined, kubeconfig }), false)).rejects.toThrow(/choose the transport/);
    const p = await runExtender(opts({ state: undefined, kubeconfig, plainHttp: true }), false);
    try {
      await p.started;
      const ready = await fetch(`${p.server.url}/readyz`);
      expect(ready.status).toBe(503);
      const nodes = [{ metadata: { name: 'n1' } }];
      const f = await post(`${p.server.url}/scheduler/filter`, extenderArgs(onlinePod('b', { cpu: '1' }, { labels: { 'tidal.io/class': 'batch' } }), nodes, true));
      expect(f.json.FailedNodes).toEqual({ n1: NOT_SYNCED_REASON });
    } finally {
      await p.shutdown('test');
    }
  });

  it('refuses bad options with a message naming the flag', async () => {
    await expect(runExtender(opts({ port: '99999' }), false)).rejects.toThrow(/--port must be an integer 0\.\.65535/);
    await expect(runExtender(opts({ maxBodyBytes: 'big' }), false)).rejects.toThrow(/--max-body-bytes must be a size/);
    await expect(runExtender(opts({ metricsInterval: '10ms' }), false)).rejects.toThrow(/--metrics-interval must be at least 1s/);
    await expect(runExtender(opts({ batchWhenNotReady: 'maybe' }), false)).rejects.toThrow(/--batch-when-not-ready must be open or closed/);
    await expect(runExtender(opts({ logLevel: 'loud' }), false)).rejects.toThrow(/--log-level must be one of/);
    await expect(runExtender(opts({ urlPrefix: '/a/:b' }), false)).rejects.toThrow(/url prefix/);
    await expect(runExtender(opts({ profile: '/nonexistent.yaml' }), false)).rejects.toThrow(/cannot read/);
    await expect(runExtender(opts({ decisionBudget: 'soon' }), false)).rejects.toThrow(/--decision-budget must be a duration such as 500ms or 2s \(got soon\)/);
    await expect(runExtender(opts({ requestTimeout: '10ms' }), false)).rejects.toThrow(/--request-timeout must be at least 100 ms/);
    await expect(runExtender(opts({ onlineWhenOverloaded: 'half' }), false)).rejects.toThrow(/--online-when-overloaded must be open or closed/);
    await expect(runExtender(opts({ batchWhenOverloaded: 'ajar' }), false)).rejects.toThrow(/--batch-when-overloaded must be open or closed/);
    await expect(runExtender(opts({ tlsCertFile: '/nonexistent.crt', tlsKeyFile: '/nonexistent.key' }), false)).rejects.toThrow(/^--tls-cert-file \/nonexistent\.crt: cannot read/);
  });
});

describe('tidal demo-extender', () => {
  it('plays kube-scheduler against the sample cluster and prints a table', async () => {
    const lines: string[] = [];
    const cases = await runDemo({ at: '2026-11-11T03:00', write: (l) => lines.push(l) });
    expect(cases).toHaveLength(2);
    const [online, batch] = cases;
    expect(online!.filter.NodeNames).toEqual(['node-a', 'node-c']);
    expect(online!.prioritize!.map((h) => h.Host)).toEqual(['node-a', 'node-c']);
    expect(online!.filter.FailedAndUnresolvableNodes['node-d']).toMatch(/NodeUnschedulable/);
    // 03:00 in Asia/Shanghai: the night window, batch may hold 70% of a node.
    expect(batch!.filter.NodeNames).toEqual(['node-a', 'node-c']);
    const text = lines.join('\n');
    expect(text).toMatch(/window night, batch share 70%/);
    expect(text).toMatch(/NODE\s+FILTER\s+SCORE\s+REASON/);
    expect(text).toMatch(/node-b\s+fail \(unresolvable\)\s+-\s+tidal\/OnlineLoadThreshold/);
  });

  it('notes when kube-scheduler would skip prioritize', async () => {
    const lines: string[] = [];
    // 18:45 local: draining ahead of the evening peak; a 2h batch pod fits on one node only.
    const cases = await runDemo({ at: '2026-11-11T18:45', write: (l) => lines.push(l) });
    expect(cases[1]!.filter.NodeNames).toEqual(['node-c']);
    expect(cases[1]!.prioritize).toBeNull();
    expect(lines.join('\n')).toMatch(/one feasible node: kube-scheduler would bind to node-c without calling prioritize/);
  });
});
