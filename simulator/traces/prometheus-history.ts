// Records what a real cluster did over a past span from Prometheus (HTTP API /api/v1/query_range):
// the kubelet/cAdvisor series every cluster with metrics has, turned into a Tidal trace that a plan
// can start from.
//   nodes          machine_cpu_cores, machine_memory_bytes                       by node
//   pod usage      rate(container_cpu_usage_seconds_total[w]), container_memory_working_set_bytes
//                  (container!="", summed per pod)                                by namespace, pod, node
//   node usage     the same series for the root cgroup (id="/") less the pods': daemons and the OS
//   requests       kube_pod_container_resource_requests (kube-state-metrics) when present; otherwise
//                  the pod's peak observed usage stands in for its requests
// A pod arrives at its first sample and, when it is gone before the span ends, ends after its last
// (of the memory gauge; a series stays visible for Prometheus' lookback delta, 5m by default, after it stops).
// Batch pods are those of the namespaces given; their runtime is the time they were seen running.

import type { NodeInfo } from '../../scheduler/core/model.ts';
import type { Trace, TraceEvent, TracePod } from './events.ts';

export interface PrometheusHistoryOptions {
  /** Base URL of the Prometheus server, e.g. http://127.0.0.1:9090 */
  url: string;
  start: number;
  end: number;
  stepMs: number;
  /** Range of the rate() over the CPU counters (default: 4 steps, at least 1m). */
  rateWindowMs?: number;
  /** Label carrying the node name on the kubelet series (default: node). */
  nodeLabel?: string;
  /** Namespaces whose pods are batch; every other pod is online. */
  batchNamespaces?: readonly string[];
  /** Pin pods to the node they ran on (default true). */
  pin?: boolean;
  fetch?: typeof fetch;
}

interface Series {
  metric: Record<string, string>;
  values: [number, string][];
}

export class PrometheusError extends Error {}

async function queryRange(o: PrometheusHistoryOptions, query: string): Promise<Series[]> {
  const u = new URL('/api/v1/query_range', o.url);
  const body = new URLSearchParams({ query, start: String(o.start / 1000), end: String(o.end / 1000), step: `${o.stepMs / 1000}s` });
  const res = await (o.fetch ?? fetch)(u, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  const text = await res.text();
  let json: { status?: string; error?: string; data?: { resultType?: string; result?: Series[] } };
  try {
    json = JSON.parse(text);
  } catch {
    throw new PrometheusError(`${u.origin}: query_range answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  if (json.status !== 'success' || json.data?.resultType !== 'matrix') throw new PrometheusError(`${u.origin}: query_range for ${query} failed: ${json.error ?? res.status}`);
  return json.data.result ?? [];
}

/** App identity from a pod name: a Deployment's name without the pod-template hash (8-10) and pod suffix, a Job's or StatefulSet's without the pod suffix. */
export function appOfPod(pod: string): string {
  const m = /^(.*)-[a-z0-9]{8,10}-[a-z0-9]{5}$/.exec(pod) ?? /^(.*)-[a-z0-9]{5}$/.exec(pod) ?? /^(.*)-\d+$/.exec(pod);
  return m ? m[1]! : pod;
}

export async function recordPrometheusHistory(o: PrometheusHistoryOptions): Promise<Trace> {
  if (!(o.end > o.start)) throw new Error('the span must end after it starts');
  if (!(o.stepMs >= 1000)) throw new Error('the step must be at least 1s');
  const nl = o.nodeLabel ?? 'node';
  const w = `${Math.max(60, Math.round((o.rateWindowMs ?? 4 * o.stepMs) / 1000))}s`;
  const byPod = `sum by (namespace, pod, ${nl})`;
  const [cores, memory, podCpu, podMem, rootCpu, rootMem, reqs] = await Promise.all([
    queryRange(o, `max by (${nl}) (machine_cpu_cores)`),
    queryRange(o, `max by (${nl}) (machine_memory_bytes)`),
    queryRange(o, `${byPod} (rate(container_cpu_usage_seconds_total{container!="",pod!=""}[${w}]))`),
    queryRange(o, `${byPod} (container_memory_working_set_bytes{container!="",pod!=""})`),
    queryRange(o, `sum by (${nl}) (rate(container_cpu_usage_seconds_total{id="/"}[${w}]))`),
    queryRange(o, `sum by (${nl}) (container_memory_working_set_bytes{id="/"})`),
    queryRange(o, 'sum by (namespace, pod, resource) (kube_pod_container_resource_requests)'),
  ]);
  if (cores.length === 0) throw new PrometheusError(`${o.url}: no machine_cpu_cores series between ${new Date(o.start).toISOString()} and ${new Date(o.end).toISOString()}: is the kubelet's cAdvisor endpoint scraped (with a "${nl}" label)?`);

  const ms = (t: number) => Math.round(t * 1000);
  const nodes = new Map<string, NodeInfo & { first: number }>();
  const memOf = new Map(memory.map((s) => [s.metric[nl] ?? '', Number(s.values.at(-1)![1])]));
  for (const s of cores) {
    const name = s.metric[nl] ?? '';
    if (!name) continue;
    nodes.set(name, { name, allocatable: { cpu: Math.round(Number(s.values.at(-1)![1]) * 1000), memory: Math.round(memOf.get(name) ?? 0) }, maxPods: 110, labels: { 'kubernetes.io/hostname': name }, zone: '', unschedulable: false, first: ms(s.values[0]![0]) });
  }
  const key = (m: Record<string, string>) => `${m['namespace']}/${m['pod']}`;
  const requests = new Map<string, { cpu: number; memory: number }>();
  for (const s of reqs) {
    const r = requests.get(key(s.metric)) ?? { cpu: 0, memory: 0 };
    const v = Number(s.values.at(-1)![1]);
    if (s.metric['resource'] === 'cpu') r.cpu = Math.round(v * 1000);
    if (s.metric['resource'] === 'memory') r.memory = Math.round(v);
    requests.set(key(s.metric), r);
  }
  // Per pod: samples by time.
  const pods = new Map<string, { ns: string; pod: string; node: string; cpu: Map<number, number>; mem: Map<number, number> }>();
  const take = (list: Series[], field: 'cpu' | 'mem', scale: number) => {
    for (const s of list) {
      const k = key(s.metric);
      let p = pods.get(k);
      if (!p) pods.set(k, (p = { ns: s.metric['namespace'] ?? '', pod: s.metric['pod'] ?? '', node: s.metric[nl] ?? '', cpu: new Map(), mem: new Map() }));
      for (const [t, v] of s.values) p[field].set(ms(t), Number(v) * scale);
    }
  };
  take(podCpu, 'cpu', 1000);
  take(podMem, 'mem', 1);
  const root = new Map<string, { cpu: Map<number, number>; mem: Map<number, number> }>();
  for (const [list, field, scale] of [[rootCpu, 'cpu', 1000], [rootMem, 'mem', 1]] as const) {
    for (const s of list) {
      const n = s.metric[nl] ?? '';
      let r = root.get(n);
      if (!r) root.set(n, (r = { cpu: new Map(), mem: new Map() }));
      for (const [t, v] of s.values) r[field].set(ms(t), Number(v) * scale);
    }
  }

  const times = new Set<number>();
  for (const p of pods.values()) for (const t of [...p.cpu.keys(), ...p.mem.keys()]) times.add(t);
  for (const n of nodes.values()) times.add(n.first);
  const sorted = [...times].sort((a, b) => a - b);
  const last = sorted.at(-1) ?? o.start;
  const batch = new Set(o.batchNamespaces ?? []);
  const events: TraceEvent[] = [];
  const live = new Map<string, TracePod>();
  const seen = new Set<string>();
  const info = [...pods.entries()].map(([k, p]) => {
    // Life from the memory gauge: a rate() over the CPU counter outlives the pod by its window.
    const ts = [...(p.mem.size > 0 ? p.mem.keys() : p.cpu.keys())].sort((a, b) => a - b);
    return { k, p, first: ts[0]!, lastSeen: ts.at(-1)! };
  });
  for (const t of sorted) {
    for (const n of nodes.values()) if (n.first === t) events.push({ type: 'node-add', time: t, node: { name: n.name, allocatable: n.allocatable, maxPods: n.maxPods, labels: n.labels, zone: n.zone, unschedulable: false } });
    for (const x of info) {
      if (x.first !== t || seen.has(x.k) || !nodes.has(x.p.node)) continue;
      seen.add(x.k);
      const isBatch = batch.has(x.p.ns);
      const peak = { cpu: Math.max(1, ...x.p.cpu.values()), memory: Math.max(1, ...x.p.mem.values()) };
      const req = requests.get(x.k) ?? { cpu: Math.ceil(peak.cpu), memory: Math.ceil(peak.memory) };
      const app = appOfPod(x.p.pod);
      const pod: TracePod = {
        uid: x.k, namespace: x.p.ns, name: x.p.pod, class: isBatch ? 'batch' : 'online', app, priority: isBatch ? 5000 : 9000,
        requests: { cpu: Math.max(1, req.cpu), memory: Math.max(1, req.memory) },
        runtimeMs: isBatch ? Math.max(o.stepMs, x.lastSeen - x.first + o.stepMs) : 0, declaredRuntimeMs: 0, checkpointable: false, job: isBatch ? app : '',
      };
      if (o.pin ?? true) pod.nodeName = x.p.node;
      live.set(x.k, pod);
      events.push({ type: 'pod-arrival', time: t, pod });
    }
    const podSum = new Map<string, { cpu: number; mem: number }>();
    for (const x of info) {
      if (!live.has(x.k) || t > x.lastSeen) continue;
      const cpu = x.p.cpu.get(t);
      const mem = x.p.mem.get(t);
      if (cpu === undefined && mem === undefined) continue;
      events.push({ type: 'pod-usage', time: t, uid: x.k, cpu: Math.round(cpu ?? 0), memory: Math.round(mem ?? 0) });
      const s = podSum.get(x.p.node) ?? { cpu: 0, mem: 0 };
      s.cpu += cpu ?? 0;
      s.mem += mem ?? 0;
      podSum.set(x.p.node, s);
    }
    for (const [name, r] of root) {
      if (!nodes.has(name) || nodes.get(name)!.first > t) continue;
      const cpu = r.cpu.get(t);
      const mem = r.mem.get(t);
      if (cpu === undefined && mem === undefined) continue;
      const s = podSum.get(name) ?? { cpu: 0, mem: 0 };
      events.push({ type: 'node-usage', time: t, name, cpu: Math.max(0, Math.round((cpu ?? 0) - s.cpu)), memory: Math.max(0, Math.round((mem ?? 0) - s.mem)) });
    }
    // Online pods gone before the end of the span: scaled away after their last sample.
    for (const x of info) {
      if (x.lastSeen !== t || t >= last || !live.has(x.k)) continue;
      if (live.get(x.k)!.class === 'online') events.push({ type: 'pod-end', time: t + 1, uid: x.k });
      live.delete(x.k);
    }
  }
  events.sort((a, b) => a.time - b.time);
  return {
    info: { format: 'tidal-trace', source: `prometheus ${o.url}`, start: sorted[0] ?? o.start, end: last + 1, skipped: new Map() },
    async *events() {
      yield* events;
    },
  };
}
