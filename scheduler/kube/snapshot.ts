// A static cluster for demos, tests and rehearsals: a snapshot file loaded once into a ClusterState,
// served by StaticStateSource (always "synced").
//
// Two shapes are accepted, JSON or YAML:
//
// 1. A ClusterSnapshot, with objects in their Kubernetes shapes:
//
//      apiVersion: tidal.io/v1alpha1
//      kind: ClusterSnapshot
//      nodes: [ v1.Node ... ]                    # status.allocatable (or capacity), labels, spec.unschedulable
//      pods: [ v1.Pod ... ]                      # spec.nodeName binds; phase Succeeded/Failed are skipped
//      podDisruptionBudgets: [ policy/v1 PodDisruptionBudget ... ]
//      usage:                                    # optional usage history per node
//        - node: node-a
//          samples:                              # oldest first or not: they are sorted
//            - ago: 10m                          # before the load time; or time: 2026-11-10T12:00:00Z
//              online: {cpu: "6", memory: 20Gi}  # non-batch side: online and system pods, OS
//              batch: {cpu: "2", memory: 4Gi}
//      podUsage:                                 # optional latest usage per pod
//        - {namespace: default, name: web-1, cpu: 500m, memory: 1Gi}
//
// 2. A kubectl List (`kubectl get nodes,pods,pdb -A -o yaml`), whose items are Node, Pod,
//    PodDisruptionBudget, and optionally NodeMetrics / PodMetrics (metrics.k8s.io) which become one
//    usage sample at load time, split into online and batch as the live poller does. Nested lists
//    (NodeList, PodList, NodeMetricsList, ...) are flattened.
//
// Pods without status.startTime are taken to have been running when the usage samples were taken
// (otherwise the core would add their requests on top of usage that already includes them).

import { readFileSync } from 'node:fs';
import type { V1Node, V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import type { ClassificationConfig } from '../core/classify.ts';
import type { Clock } from '../core/clock.ts';
import { parseDuration } from '../core/duration.ts';
import { podKey, type Resources, type UsageSample } from '../core/model.ts';
import { parseQuantity } from '../core/quantity.ts';
import type { ClusterState } from '../core/state.ts';
import { nodeFromKube, pdbFromKube, podFromKube, podIsTerminal, type IssueSink } from './convert.ts';
import type { Readiness, StateSource } from './source.ts';
import { recordMetrics, type NodeMetricLike, type PodMetricLike } from './usage.ts';

export const SNAPSHOT_API_VERSION = 'tidal.io/v1alpha1';
export const SNAPSHOT_KIND = 'ClusterSnapshot';

export class SnapshotError extends Error {
  readonly problems: string[];

  constructor(file: string, problems: string[]) {
    super(`${file}: invalid cluster snapshot:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'SnapshotError';
    this.problems = problems;
  }
}

export interface SnapshotOptions {
  clock: Clock;
  classification: ClassificationConfig;
  onIssue?: IssueSink;
  /** For messages. */
  file?: string;
}

export interface SnapshotSummary {
  nodes: number;
  pods: number;
  pdbs: number;
  samples: number;
  /** Pods skipped because they have finished. */
  finished: number;
}

interface Parts {
  nodes: V1Node[];
  pods: V1Pod[];
  pdbs: V1PodDisruptionBudget[];
  samples: Array<{ node: string; sample: UsageSample }>;
  podUsage: Array<{ namespace: string; name: string; usage: Resources }>;
  nodeMetrics: NodeMetricLike[];
  podMetrics: PodMetricLike[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function loadSnapshotFile(file: string, state: ClusterState, opts: SnapshotOptions): SnapshotSummary {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SnapshotError(file, [`cannot read: ${(e as Error).message}`]);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 1000 });
  } catch (e) {
    throw new SnapshotError(file, [`not JSON or YAML: ${(e as Error).message.split('\n')[0]}`]);
  }
  return loadSnapshot(doc, state, { ...opts, file });
}

/** Loads a parsed snapshot document into `state`. Throws SnapshotError naming every problem found. */
export function loadSnapshot(doc: unknown, state: ClusterState, opts: SnapshotOptions): SnapshotSummary {
  const file = opts.file ?? '<snapshot>';
  const now = opts.clock.now();
  const problems: string[] = [];
  const parts: Parts = { nodes: [], pods: [], pdbs: [], samples: [], podUsage: [], nodeMetrics: [], podMetrics: [] };
  if (!isObj(doc)) throw new SnapshotError(file, [`must be a mapping: a ${SNAPSHOT_KIND} or a kubectl List`]);
  if (doc.kind === 'List' || (typeof doc.kind === 'string' && doc.kind.endsWith('List'))) {
    collectList(doc, 'items', parts, problems);
  } else if (doc.kind === SNAPSHOT_KIND) {
    if (doc.apiVersion !== SNAPSHOT_API_VERSION) problems.push(`apiVersion: must be ${SNAPSHOT_API_VERSION}`);
    collectSnapshot(doc, parts, problems, now);
  } else {
    problems.push(`kind: must be ${SNAPSHOT_KIND} or List (got ${JSON.stringify(doc.kind)})`);
  }
  if (problems.length > 0) throw new SnapshotError(file, problems);

  const sampleTimes = parts.samples.map((s) => s.sample.time);
  const boundAt = sampleTimes.length > 0 ? Math.min(now, ...sampleTimes) : now;
  const summary: SnapshotSummary = { nodes: 0, pods: 0, pdbs: 0, samples: 0, finished: 0 };
  for (const n of parts.nodes) {
    state.upsertNode(nodeFromKube(n, opts.onIssue), boundAt);
    summary.nodes++;
  }
  const uids = new Map<string, string>();
  for (const p of parts.pods) {
    if (podIsTerminal(p)) {
      summary.finished++;
      continue;
    }
    const spec = podFromKube(p, { classification: opts.classification, onIssue: opts.onIssue });
    uids.set(podKey(spec), spec.uid);
    state.upsertPod(spec, boundAt);
    summary.pods++;
  }
  for (const b of parts.pdbs) {
    const pdb = pdbFromKube(b, opts.onIssue);
    if (pdb) {
      state.upsertPdb(pdb);
      summary.pdbs++;
    }
  }
  parts.samples.sort((a, b) => a.sample.time - b.sample.time);
  for (const { node, sample } of parts.samples) {
    if (!state.nodes.has(node)) {
      problems.push(`usage: node ${node} is not among the snapshot's nodes`);
      continue;
    }
    state.recordNodeUsage(node, sample);
    summary.samples++;
  }
  for (const u of parts.podUsage) {
    const uid = uids.get(`${u.namespace}/${u.name}`);
    if (uid === undefined) problems.push(`podUsage: pod ${u.namespace}/${u.name} is not among the snapshot's pods`);
    else state.recordPodUsage(uid, u.usage);
  }
  if (parts.nodeMetrics.length > 0 || parts.podMetrics.length > 0) {
    summary.samples += recordMetrics(state, parts.nodeMetrics, parts.podMetrics, now, { uidOf: (ns, name) => uids.get(`${ns}/${name}`) }).nodes;
  }
  if (problems.length > 0) throw new SnapshotError(file, problems);
  return summary;
}

function collectList(doc: Record<string, unknown>, path: string, parts: Parts, problems: string[]): void {
  const items = doc.items;
  if (items === null || items === undefined) return;
  if (!Array.isArray(items)) {
    problems.push(`${path}: must be a list`);
    return;
  }
  items.forEach((item, i) => {
    const p = `${path}[${i}]`;
    if (!isObj(item)) {
      problems.push(`${p}: must be an object`);
      return;
    }
    const kind = item.kind;
    if (typeof kind === 'string' && kind.endsWith('List')) return collectList(item, `${p}.items`, parts, problems);
    const wanted = kind === 'Node' || kind === 'Pod' || kind === 'PodDisruptionBudget' || kind === 'NodeMetrics' || kind === 'PodMetrics';
    // Other kinds (Services, ConfigMaps, ...) in a kubectl dump are of no interest.
    if (!wanted || !checkMeta(item, p, kind !== 'Node' && kind !== 'NodeMetrics', problems)) return;
    switch (kind) {
      case 'Node':
        parts.nodes.push(item as V1Node);
        break;
      case 'Pod':
        parts.pods.push(item as V1Pod);
        break;
      case 'PodDisruptionBudget':
        parts.pdbs.push(item as V1PodDisruptionBudget);
        break;
      case 'NodeMetrics':
        parts.nodeMetrics.push(item as unknown as NodeMetricLike);
        break;
      case 'PodMetrics':
        parts.podMetrics.push(item as unknown as PodMetricLike);
        break;
    }
  });
}

function checkMeta(o: Record<string, unknown>, path: string, namespaced: boolean, problems: string[]): boolean {
  const meta = o.metadata;
  if (!isObj(meta) || typeof meta.name !== 'string' || meta.name === '') {
    problems.push(`${path}.metadata.name: required`);
    return false;
  }
  if (namespaced && meta.namespace !== undefined && typeof meta.namespace !== 'string') {
    problems.push(`${path}.metadata.namespace: must be a string`);
    return false;
  }
  return true;
}

function collectSnapshot(doc: Record<string, unknown>, parts: Parts, problems: string[], now: number): void {
  const known = ['apiVersion', 'kind', 'metadata', 'description', 'nodes', 'pods', 'podDisruptionBudgets', 'usage', 'podUsage'];
  for (const k of Object.keys(doc)) if (!known.includes(k)) problems.push(`${k}: unknown field; allowed: ${known.join(', ')}`);
  const list = (key: string): Record<string, unknown>[] => {
    const v = doc[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      problems.push(`${key}: must be a list`);
      return [];
    }
    return v.filter((item, i) => {
      if (!isObj(item)) problems.push(`${key}[${i}]: must be an object`);
      return isObj(item);
    });
  };
  list('nodes').forEach((n, i) => checkMeta(n, `nodes[${i}]`, false, problems) && parts.nodes.push(n as V1Node));
  list('pods').forEach((p, i) => checkMeta(p, `pods[${i}]`, true, problems) && parts.pods.push(p as V1Pod));
  list('podDisruptionBudgets').forEach((b, i) => checkMeta(b, `podDisruptionBudgets[${i}]`, true, problems) && parts.pdbs.push(b as V1PodDisruptionBudget));
  list('usage').forEach((u, i) => {
    const path = `usage[${i}]`;
    if (typeof u.node !== 'string' || u.node === '') {
      problems.push(`${path}.node: required: the node's name`);
      return;
    }
    if (!Array.isArray(u.samples)) {
      problems.push(`${path}.samples: required: a list of {ago or time, online, batch}`);
      return;
    }
    u.samples.forEach((s: unknown, j: number) => {
      const sp = `${path}.samples[${j}]`;
      if (!isObj(s)) {
        problems.push(`${sp}: must be an object`);
        return;
      }
      const time = sampleTime(s, sp, now, problems);
      const online = resources(s.online, `${sp}.online`, problems);
      const batch = s.batch === undefined ? { cpu: 0, memory: 0 } : resources(s.batch, `${sp}.batch`, problems);
      if (time !== null && online && batch) parts.samples.push({ node: u.node as string, sample: { time, online, batch } });
    });
  });
  list('podUsage').forEach((u, i) => {
    const path = `podUsage[${i}]`;
    if (typeof u.name !== 'string') {
      problems.push(`${path}.name: required`);
      return;
    }
    const usage = resources(u, path, problems);
    if (usage) parts.podUsage.push({ namespace: typeof u.namespace === 'string' ? u.namespace : 'default', name: u.name, usage });
  });
}

function sampleTime(s: Record<string, unknown>, path: string, now: number, problems: string[]): number | null {
  if ((s.ago === undefined) === (s.time === undefined)) {
    problems.push(`${path}: needs exactly one of ago (a duration before the load time, e.g. 5m) or time (ISO 8601)`);
    return null;
  }
  if (s.ago !== undefined) {
    try {
      return now - parseDuration(s.ago as string | number);
    } catch (e) {
      problems.push(`${path}.ago: ${(e as Error).message}`);
      return null;
    }
  }
  const t = s.time instanceof Date ? s.time.getTime() : typeof s.time === 'string' ? Date.parse(s.time) : NaN;
  if (!Number.isFinite(t)) {
    problems.push(`${path}.time: not an ISO 8601 time: ${JSON.stringify(s.time)}`);
    return null;
  }
  return t;
}

function resources(v: unknown, path: string, problems: string[]): Resources | null {
  if (!isObj(v)) {
    problems.push(`${path}: required: {cpu, memory} as Kubernetes quantities`);
    return null;
  }
  const out = { cpu: 0, memory: 0 };
  for (const [k, scale] of [['cpu', 1000], ['memory', 1]] as const) {
    const q = v[k];
    if (q === undefined) continue;
    try {
      out[k] = Math.round(parseQuantity(q as string | number) * scale * 1000) / 1000;
    } catch (e) {
      problems.push(`${path}.${k}: ${(e as Error).message}`);
      return null;
    }
  }
  return out;
}

export interface StaticSourceOptions {
  clock: Clock;
  /**
   * Re-record each node's latest usage sample at the clock's now this often, so that a long-running
   * server on a frozen snapshot keeps fresh usage instead of falling back to requests after the
   * staleness limit. 0 disables.
   */
  refreshMs?: number;
  /** For /readyz. */
  description?: string;
}

/** Serves a state loaded once (loadSnapshotFile); always synced. */
export class StaticStateSource implements StateSource {
  readonly state: ClusterState;
  readonly #o: StaticSourceOptions;
  #timer: NodeJS.Timeout | null = null;

  constructor(state: ClusterState, opts: StaticSourceOptions) {
    this.state = state;
    this.#o = opts;
  }

  async start(): Promise<void> {
    const every = this.#o.refreshMs ?? 0;
    if (every > 0 && !this.#timer) {
      this.#timer = setInterval(() => this.refresh(), every);
      this.#timer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Re-records every node's latest sample at now (see refreshMs). */
  refresh(): void {
    const now = this.#o.clock.now();
    for (const node of this.state.nodes.values()) {
      const last = node.usage.latest();
      if (last && now > last.time) this.state.recordNodeUsage(node.name, { ...last, time: now });
    }
  }

  isSynced(): boolean {
    return true;
  }

  async waitForSync(): Promise<void> {}

  readiness(): Readiness {
    return {
      ready: true,
      reason: 'synced',
      details: { source: this.#o.description ?? 'static snapshot', counts: { nodes: this.state.nodes.size, pods: this.state.pods.size } },
    };
  }
}
