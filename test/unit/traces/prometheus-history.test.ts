// The Prometheus recorder against a real Prometheus server (Debian's package): known kubelet/cAdvisor
// series are backfilled with promtool into a temporary data folder, the server is started on
// loopback over it, and the recorded trace must reproduce them.
//
// Needs /usr/bin/prometheus and /usr/bin/promtool (apt-get install -y prometheus). Skipped without
// them, except under CI=true, where it fails.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../../simulator/traces/events.ts';
import { appOfPod, recordPrometheusHistory } from '../../../simulator/traces/prometheus-history.ts';
import { readTidalTrace } from '../../../simulator/traces/tidal.ts';

const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';
const have = existsSync(PROMETHEUS) && existsSync(PROMTOOL);
const inCI = process.env.CI === 'true';
if (!have && !inCI) console.warn(`prometheus recorder test skipped: ${PROMETHEUS} or ${PROMTOOL} not found. Install Debian's package with: apt-get install -y prometheus`);

const MIN = 60_000;
const GiB = 2 ** 30;
// Two hours back, on a whole minute, so that the samples are inside the default retention.
const T0 = Math.floor((Date.now() - 3 * 3_600_000) / MIN) * MIN;

/** The known series: one sample a minute for an hour. */
function openMetrics(): string {
  const lines: string[] = [];
  const series = (type: string, name: string, rows: { labels: string; value: (m: number) => number | null }[]) => {
    lines.push(`# TYPE ${name} ${type}`);
    for (const r of rows) for (let m = 0; m <= 60; m++) {
      const v = r.value(m);
      // OpenMetrics names a counter's samples NAME_total.
      if (v !== null) lines.push(`${name}${type === 'counter' ? '_total' : ''}{${r.labels}} ${v} ${(T0 + m * MIN) / 1000}`);
    }
  };
  series('gauge', 'machine_cpu_cores', [{ labels: 'node="n1"', value: () => 8 }, { labels: 'node="n2"', value: () => 16 }]);
  series('gauge', 'machine_memory_bytes', [{ labels: 'node="n1"', value: () => 32 * GiB }, { labels: 'node="n2"', value: () => 64 * GiB }]);
  series('counter', 'container_cpu_usage_seconds', [
    // web: 0.5 core all hour; cache: 0.25 core for its first 40 minutes; a batch job: 2 cores for 30.
    { labels: 'namespace="shop",pod="web-5d8f9c7b6d-abcde",container="web",node="n1"', value: (m) => 30 * m },
    { labels: 'namespace="shop",pod="cache-0",container="cache",node="n1"', value: (m) => (m <= 40 ? 15 * m : null) },
    { labels: 'namespace="batch",pod="etl-28abc-x7k2p",container="etl",node="n2"', value: (m) => (m <= 30 ? 120 * m : null) },
    // The pod-level cgroup (container=""): the recorder must not count it twice.
    { labels: 'namespace="shop",pod="web-5d8f9c7b6d-abcde",container="",node="n1"', value: (m) => 30 * m },
    // Root cgroups: whole-node usage (0.8 and 2.2 cores).
    { labels: 'id="/",node="n1"', value: (m) => 48 * m },
    { labels: 'id="/",node="n2"', value: (m) => 132 * m },
  ]);
  series('gauge', 'container_memory_working_set_bytes', [
    { labels: 'namespace="shop",pod="web-5d8f9c7b6d-abcde",container="web",node="n1"', value: () => GiB },
    { labels: 'namespace="shop",pod="cache-0",container="cache",node="n1"', value: (m) => (m <= 40 ? 2 * GiB : null) },
    { labels: 'namespace="batch",pod="etl-28abc-x7k2p",container="etl",node="n2"', value: (m) => (m <= 30 ? 4 * GiB : null) },
    { labels: 'id="/",node="n1"', value: () => 4 * GiB },
    { labels: 'id="/",node="n2"', value: () => 6 * GiB },
  ]);
  series('gauge', 'kube_pod_container_resource_requests', [
    { labels: 'namespace="shop",pod="web-5d8f9c7b6d-abcde",container="web",resource="cpu"', value: () => 1 },
    { labels: 'namespace="shop",pod="web-5d8f9c7b6d-abcde",container="web",resource="memory"', value: () => 2 * GiB },
  ]);
  return lines.join('\n') + '\n# EOF\n';
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

describe.skipIf(!have && !inCI)('tidal trace record --prometheus against a real Prometheus', () => {
  let dir = '';
  let server: ChildProcess | undefined;
  let url = '';
  let events: TraceEvent[] = [];

  beforeAll(async () => {
    if (!have) throw new Error(`CI=true and ${PROMETHEUS} or ${PROMTOOL} is missing: the recorder's test needs Debian's prometheus package (apt-get install -y prometheus)`);
    dir = await mkdtemp(join(tmpdir(), 'tidal-prometheus-'));
    await writeFile(join(dir, 'series.om'), openMetrics());
    await writeFile(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1m\nscrape_configs: []\n');
    await promisify(execFile)(PROMTOOL, ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'series.om'), join(dir, 'data')]);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // A 1m lookback, so that a series that stops is gone from queries a minute later (default 5m).
    server = spawn(PROMETHEUS, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=30d', '--query.lookback-delta=1m'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    server.stderr!.on('data', (d) => (log = (log + String(d)).slice(-4000)));
    for (let i = 0; ; i++) {
      const ok = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
      if (ok) break;
      if (i > 150 || server.exitCode !== null) throw new Error(`prometheus did not become ready:\n${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const trace = await recordPrometheusHistory({ url, start: T0, end: T0 + 60 * MIN, stepMs: MIN, rateWindowMs: 2 * MIN, batchNamespaces: ['batch'] });
    for await (const e of trace.events()) events.push(e);
  }, 120_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const gone = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await gone;
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('records the nodes from machine_cpu_cores and machine_memory_bytes', () => {
    const nodes = events.filter((e) => e.type === 'node-add');
    expect(nodes.map((e) => [e.time, e.node.name, e.node.allocatable])).toEqual([
      [T0, 'n1', { cpu: 8000, memory: 32 * GiB }],
      [T0, 'n2', { cpu: 16000, memory: 64 * GiB }],
    ]);
  });

  it('records pods with their requests, class, app and node', () => {
    const arrivals = Object.fromEntries(events.filter((e) => e.type === 'pod-arrival').map((e) => [e.pod.name, e]));
    expect(Object.keys(arrivals).sort()).toEqual(['cache-0', 'etl-28abc-x7k2p', 'web-5d8f9c7b6d-abcde']);
    expect(arrivals['web-5d8f9c7b6d-abcde']).toMatchObject({ time: T0, pod: { uid: 'shop/web-5d8f9c7b6d-abcde', class: 'online', app: 'web', requests: { cpu: 1000, memory: 2 * GiB }, nodeName: 'n1', runtimeMs: 0 } });
    // No request series for the batch pod: its peak usage stands in; its runtime is the time it was seen.
    expect(arrivals['etl-28abc-x7k2p']).toMatchObject({ time: T0, pod: { class: 'batch', app: 'etl-28abc', requests: { cpu: 2000, memory: 4 * GiB }, nodeName: 'n2', job: 'etl-28abc' } });
    const etl = arrivals['etl-28abc-x7k2p']!;
    expect(etl.type === 'pod-arrival' && etl.pod.runtimeMs).toBe(32 * MIN);
  });

  it('reproduces the usage series and the node usage beyond the pods', () => {
    const usage = (uid: string, m: number) => events.find((e) => e.type === 'pod-usage' && e.uid === uid && e.time === T0 + m * MIN);
    expect(usage('shop/web-5d8f9c7b6d-abcde', 10)).toMatchObject({ cpu: 500, memory: GiB });
    expect(usage('shop/web-5d8f9c7b6d-abcde', 60)).toMatchObject({ cpu: 500, memory: GiB });
    expect(usage('shop/cache-0', 20)).toMatchObject({ cpu: 250, memory: 2 * GiB });
    expect(usage('batch/etl-28abc-x7k2p', 15)).toMatchObject({ cpu: 2000, memory: 4 * GiB });
    const nodeUsage = (name: string, m: number) => events.find((e) => e.type === 'node-usage' && e.name === name && e.time === T0 + m * MIN);
    expect(nodeUsage('n1', 20)).toMatchObject({ cpu: 50, memory: GiB });
    expect(nodeUsage('n2', 15)).toMatchObject({ cpu: 200, memory: 2 * GiB });
    expect(nodeUsage('n2', 45)).toMatchObject({ cpu: 2200, memory: 6 * GiB });
  });

  it('ends an online pod that went away, and keeps time order', () => {
    const ends = events.filter((e) => e.type === 'pod-end');
    expect(ends.map((e) => e.uid)).toEqual(['shop/cache-0']);
    // Last sample at minute 40, visible one lookback (1m) longer.
    expect(ends[0]!.time).toBe(T0 + 41 * MIN + 1);
    for (let i = 1; i < events.length; i++) expect(events[i]!.time).toBeGreaterThanOrEqual(events[i - 1]!.time);
  });

  it('tidal trace record --prometheus writes the same events', async () => {
    const out = join(dir, 'recorded.jsonl');
    const root = join(import.meta.dirname, '../../..');
    const args = ['scheduler/cli/tidal.ts', 'trace', 'record', '--prometheus', url, '--from', new Date(T0).toISOString(), '--to', new Date(T0 + 60 * MIN).toISOString(), '--step', '1m', '--batch-namespace', 'batch', '--out', out];
    await promisify(execFile)(process.execPath, args, { cwd: root });
    const back: TraceEvent[] = [];
    for await (const e of (await readTidalTrace(out)).events()) back.push(e);
    // The CLI's rate window is 4 steps (the test's direct call uses 2): compare what does not depend on it.
    expect(back.filter((e) => e.type !== 'pod-usage' && e.type !== 'node-usage')).toEqual(events.filter((e) => e.type !== 'pod-usage' && e.type !== 'node-usage'));
    expect(back.find((e) => e.type === 'pod-usage' && e.uid === 'shop/web-5d8f9c7b6d-abcde' && e.time === T0 + 30 * MIN)).toMatchObject({ cpu: 500 });
  }, 60_000);

  it('names a server without the series', async () => {
    await expect(recordPrometheusHistory({ url, start: T0 - 10 * 3_600_000, end: T0 - 9 * 3_600_000, stepMs: MIN })).rejects.toThrow(/no machine_cpu_cores series/);
  });
});

describe('appOfPod', () => {
  it('drops ReplicaSet hashes and pod suffixes', () => {
    expect(appOfPod('web-5d8f9c7b6d-abcde')).toBe('web');
    expect(appOfPod('etl-28abc-x7k2p')).toBe('etl-28abc');
    expect(appOfPod('cache-0')).toBe('cache');
    expect(appOfPod('standalone')).toBe('standalone');
  });
});
