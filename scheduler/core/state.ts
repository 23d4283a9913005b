// The cluster as the core sees it, with per-node aggregates kept up to date incrementally so that a
// scheduling decision over thousands of nodes is a tight loop over numbers, not a walk over pods.
// Front ends mutate it (informer events, simulator events); the core's decisions only read it.

import { AppCurves } from './app-curves.ts';
import { NodeCurves } from './node-curves.ts';
import type { NodeInfo, PdbSpec, PodInfo, Resources, UsageSample, WorkloadClass } from './model.ts';
import { addInto, nativeCpu, nativeMemory, nonZeroCpu, nonZeroMemory } from './model.ts';
import { fnv1a, NodeTable } from './node-table.ts';
import { OnlineShapes } from './online-shapes.ts';
import { matchesSelector } from './selector.ts';
import { DEFAULT_USAGE, UsageHistory, type UsageConfig } from './usage.ts';
import { BatchUsageEstimates } from './forecast/batch-usage.ts';
import { JobKeys, RuntimeEstimates } from './forecast/runtime.ts';

export class NodeState {
  #spec: NodeInfo;
  /** This node's row in the table (changes when another node is removed). */
  index: number;
  readonly table: NodeTable;
  readonly pods = new Map<string, PodInfo>();
  /** Sum of requests of the node's pods, by class. Terminating pods count until they are gone, as in kube-scheduler. */
  readonly requested: Record<WorkloadClass, Resources> = {
    online: { cpu: 0, memory: 0 },
    batch: { cpu: 0, memory: 0 },
    system: { cpu: 0, memory: 0 },
  };
  /** Native requests as kube-scheduler counts them, plain and with its non-zero defaults (node-table.ts). */
  readonly native: Resources = { cpu: 0, memory: 0 };
  readonly nonZero: Resources = { cpu: 0, memory: 0 };
  /** Pods per app on this node (all classes). */
  readonly appCounts = new Map<string, number>();
  /** Non-batch pods bound after the latest usage sample: usage cannot show them yet, so they count at their request. */
  readonly #unmetered = new Map<string, number>();
  readonly unmeteredRequests: Resources = { cpu: 0, memory: 0 };
  readonly usage: UsageHistory;
  /** Bumped on every change to the node, its pods or its usage. */
  version = 0;
  /** Bumped when a pod is bound to or leaves the node (a changed pod is a new object: one of each). */
  podsVersion = 0;

  /** Interned zone id (ClusterState.zoneNames), -1 for none. */
  #zoneId: number;

  constructor(spec: NodeInfo, table: NodeTable, zoneId: number) {
    this.#spec = spec;
    this.#zoneId = zoneId;
    this.table = table;
    this.usage = new UsageHistory(table.usage.maxSamples, table.usage.windowMs);
    this.index = table.add(this.usage);
    table.nameHash[this.index] = fnv1a(spec.name);
    this.#sync();
  }

  get spec(): NodeInfo {
    return this.#spec;
  }

  /** @internal Replaces the spec (ClusterState.upsertNode, which interns the zone). */
  setSpec(spec: NodeInfo, zoneId: number): void {
    this.#spec = spec;
    this.#zoneId = zoneId;
    this.version++;
    this.#sync();
  }

  get name(): string {
    return this.#spec.name;
  }

  get podCount(): number {
    return this.pods.size;
  }

  appCount(app: string): number {
    return this.appCounts.get(app) ?? 0;
  }

  /** @internal */
  attach(pod: PodInfo, boundAt: number): void {
    this.pods.set(pod.uid, pod);
    addInto(this.requested[pod.class], pod.requests);
    this.#countNative(pod, 1);
    this.appCounts.set(pod.app, (this.appCounts.get(pod.app) ?? 0) + 1);
    if (pod.class !== 'batch' && boundAt > this.usage.latestTime()) {
      this.#unmetered.set(pod.uid, boundAt);
      addInto(this.unmeteredRequests, pod.requests);
    }
    this.version++;
    this.podsVersion++;
    this.#sync();
  }

  /** @internal */
  detach(pod: PodInfo): void {
    if (!this.pods.delete(pod.uid)) return;
    addInto(this.requested[pod.class], pod.requests, -1);
    this.#countNative(pod, -1);
    const n = (this.appCounts.get(pod.app) ?? 1) - 1;
    if (n === 0) this.appCounts.delete(pod.app);
    else this.appCounts.set(pod.app, n);
    if (this.#unmetered.delete(pod.uid)) addInto(this.unmeteredRequests, pod.requests, -1);
    this.version++;
    this.podsVersion++;
    this.#sync();
  }

  #countNative(pod: PodInfo, sign: number): void {
    this.native.cpu += sign * nativeCpu(pod);
    this.native.memory += sign * nativeMemory(pod);
    this.nonZero.cpu += sign * nonZeroCpu(pod);
    this.nonZero.memory += sign * nonZeroMemory(pod);
  }

  /** @internal Samples must come in time order (UsageHistory refuses an older one). */
  addUsage(sample: UsageSample): void {
    this.usage.add(sample);
    for (const [uid, boundAt] of this.#unmetered) {
      if (boundAt <= sample.time) {
        this.#unmetered.delete(uid);
        addInto(this.unmeteredRequests, this.pods.get(uid)!.requests, -1);
      }
    }
    this.version++;
    this.#sync();
  }

  /** Writes this node's row of the table (after every change). */
  #sync(): void {
    const t = this.table;
    const i = this.index;
    const a = this.#spec.allocatable;
    const r = this.requested;
    t.allocCpu[i] = a.cpu;
    t.allocMem[i] = a.memory;
    t.maxPods[i] = this.#spec.maxPods;
    t.pods[i] = this.pods.size;
    t.nonBatchCpu[i] = r.online.cpu + r.system.cpu;
    t.nonBatchMem[i] = r.online.memory + r.system.memory;
    t.batchCpu[i] = r.batch.cpu;
    t.batchMem[i] = r.batch.memory;
    t.nativeCpu[i] = this.native.cpu;
    t.nativeMem[i] = this.native.memory;
    t.nonZeroCpu[i] = this.nonZero.cpu;
    t.nonZeroMem[i] = this.nonZero.memory;
    let prefer = 0;
    if (this.#spec.taints) for (const taint of this.#spec.taints) if (taint.effect === 'PreferNoSchedule') prefer++;
    t.preferNoSchedule[i] = prefer;
    t.unmeteredCpu[i] = this.unmeteredRequests.cpu;
    t.unmeteredMem[i] = this.unmeteredRequests.memory;
    t.version[i] = this.version;
    t.freshUntil[i] = this.usage.size > 0 ? this.usage.latestTime() + t.usage.staleAfterMs : -Infinity;
    t.unschedulable[i] = this.#spec.unschedulable ? 1 : 0;
    t.zone[i] = this.#zoneId;
  }
}

export class ClusterState {
  readonly usageConfig: UsageConfig;
  readonly nodes = new Map<string, NodeState>();
  /** The same nodes, nodeList[i] owning row i of the table (removal moves the last node into the hole). */
  readonly nodeList: NodeState[] = [];
  /** Per-node figures column-wise, for the hot loops of decisions. */
  readonly table: NodeTable;
  /** Node name -> its row in the table (the same as nodes.get(name).index, without loading the node). */
  readonly rows = new Map<string, number>();
  /** Zone names by interned id (table.zone); ids are never reused. */
  readonly zoneNames: string[] = [];
  readonly #zoneIds = new Map<string, number>();
  /** Every pod Tidal knows of, bound or pending. */
  readonly pods = new Map<string, PodInfo>();
  /** Latest observed usage per pod, when a metrics source gives it. */
  readonly podUsage = new Map<string, Resources>();
  /** app -> zone -> bound pods, for zone spreading. */
  readonly appZoneCounts = new Map<string, Map<string, number>>();
  /**
   * app -> table row -> the app's pods bound there (NodeState.appCounts by row): a decision that reads
   * one app's count on every node (PodTopologySpread) looks in one small map, not in each node's.
   */
  readonly #appRows = new Map<string, Map<number, number>>();
  /** The request shapes of the online pods in `pods` (bound or pending), for the largest of them. */
  readonly onlineShapes = new OnlineShapes();
  /** PodDisruptionBudgets by namespace, then name. */
  readonly pdbs = new Map<string, Map<string, PdbSpec>>();
  /** Pods bound to a node the state does not know yet (informer event order), by node name. */
  readonly #waitingForNode = new Map<string, Set<string>>();
  /** Bumped on every change. */
  version = 0;
  /**
   * Each online app's usage curve over the day and the week, learned from every node usage sample
   * (recordNodeUsage), so that every front end that records usage feeds it without code of its own.
   */
  readonly curves: AppCurves;
  /** Batch runtimes learned per owner from completed pods (completePod), for pods that declare none. */
  readonly #jobKeys = new JobKeys();
  readonly runtimes = new RuntimeEstimates(undefined, undefined, this.#jobKeys);
  /** Batch CPU usage per request learned per owner from the pods' usage (learnCurves turns it on with the curves). */
  readonly batchUsage = new BatchUsageEstimates(undefined, this.#jobKeys);
  #nodeCurves: NodeCurves | null = null;
  /**
   * Curves are learned once something has asked for them (nodeCurves, learnCurves()): a policy
   * that never uses them (kube-default, the peers in the simulator) keeps no per-app state; at
   * Alibaba density that is ~28 KB per app, 250 MB for 9,000 apps.
   */
  #learning = false;

  constructor(usageConfig: UsageConfig = DEFAULT_USAGE) {
    this.usageConfig = usageConfig;
    this.table = new NodeTable(usageConfig);
    this.curves = new AppCurves(usageConfig.curves);
  }

  /**
   * Per-node sums of the tenants' curves (node-curves.ts), built on first use and kept up to date
   * incrementally from then on; call sync(now) before reading. Policies that never ask pay nothing.
   */
  /** Starts learning the apps' curves from the usage samples recorded from now on. */
  learnCurves(): void {
    this.#learning = true;
  }

  get nodeCurves(): NodeCurves {
    this.#learning = true;
    if (!this.#nodeCurves) {
      const nc = new NodeCurves(this.curves, Math.max(64, this.nodeList.length));
      for (const node of this.nodeList) {
        nc.addRow(node.index);
        for (const p of node.pods.values()) nc.attach(p, node);
      }
      this.#nodeCurves = nc;
    }
    return this.#nodeCurves;
  }

  /** Adds or replaces a node. `now` matters only for pods that were waiting for it (see upsertPod). */
  upsertNode(spec: NodeInfo, now: number): NodeState {
    this.version++;
    const existing = this.nodes.get(spec.name);
    if (existing) {
      if (existing.spec.zone !== spec.zone) {
        for (const p of existing.pods.values()) countIn(this.appZoneCounts, p.app, existing.spec.zone, -1);
        for (const p of existing.pods.values()) countIn(this.appZoneCounts, p.app, spec.zone, 1);
      }
      existing.setSpec(spec, this.zoneId(spec.zone));
      return existing;
    }
    const node = new NodeState(spec, this.table, this.zoneId(spec.zone));
    this.#nodeCurves?.addRow(node.index);
    this.rows.set(spec.name, node.index);
    this.nodes.set(spec.name, node);
    this.nodeList.push(node);
    const waiting = this.#waitingForNode.get(spec.name);
    if (waiting) {
      this.#waitingForNode.delete(spec.name);
      for (const uid of waiting) {
        const pod = this.pods.get(uid);
        if (pod && pod.nodeName === spec.name) this.#attach(pod, node, pod.startedAt > 0 ? pod.startedAt : now);
      }
    }
    return node;
  }

  /** Removes a node. Pods still bound to it stay known (the API deletes them separately) but no longer count anywhere. */
  removeNode(name: string): void {
    const node = this.nodes.get(name);
    if (!node) return;
    this.version++;
    for (const p of [...node.pods.values()]) {
      this.#detach(p, node);
      this.#wait(p);
    }
    this.nodes.delete(name);
    this.rows.delete(name);
    const i = node.index;
    const moved = this.table.swapRemove(i);
    this.#nodeCurves?.swapRemove(i);
    const last = this.nodeList.pop()!;
    if (moved >= 0) {
      this.nodeList[i] = last;
      last.index = i;
      this.rows.set(last.name, i);
      for (const [app, n] of last.appCounts) {
        const byRow = this.#appRows.get(app)!;
        byRow.delete(moved);
        byRow.set(i, n);
      }
    }
  }

  /** The interned id of a zone name ("" -> -1). */
  zoneId(zone: string): number {
    if (!zone) return -1;
    let id = this.#zoneIds.get(zone);
    if (id === undefined) {
      id = this.zoneNames.length;
      this.zoneNames.push(zone);
      this.#zoneIds.set(zone, id);
    }
    return id;
  }

  /**
   * Adds or replaces a pod. `now` is when the core learns of the binding; a pod that started earlier
   * than the latest usage sample is assumed to be in that sample already.
   */
  upsertPod(pod: PodInfo, now: number): void {
    this.version++;
    const old = this.pods.get(pod.uid);
    if (old) {
      this.#unbind(old);
      if (old.class === 'online') this.onlineShapes.remove(old.requests);
    }
    this.pods.set(pod.uid, pod);
    if (pod.class === 'online') this.onlineShapes.add(pod.requests);
    if (!pod.nodeName) return;
    const node = this.nodes.get(pod.nodeName);
    if (node) this.#attach(pod, node, pod.startedAt > 0 ? pod.startedAt : now);
    else this.#wait(pod);
  }

  /**
   * A pod ran to completion at `now` (not evicted): a batch pod that ran teaches the runtime estimate
   * of its owner (forecast/runtime.ts); then it is removed.
   */
  completePod(uid: string, now: number): void {
    const pod = this.pods.get(uid);
    if (pod && pod.class === 'batch' && pod.startedAt > 0 && !pod.terminating) this.runtimes.observe(this.#jobKeys.of(pod), now - pod.startedAt);
    this.removePod(uid);
  }

  removePod(uid: string): void {
    const pod = this.pods.get(uid);
    if (!pod) return;
    this.version++;
    this.#unbind(pod);
    this.pods.delete(uid);
    if (pod.class === 'online') this.onlineShapes.remove(pod.requests);
    this.podUsage.delete(uid);
  }

  recordNodeUsage(nodeName: string, sample: UsageSample): void {
    const node = this.nodes.get(nodeName);
    if (!node) return;
    this.version++;
    node.addUsage(sample);
    if (!this.#learning) return;
    this.#learnBatch(node);
    this.#learn(node, sample);
  }

  /** Feeds the batch usage ratios (forecast/batch-usage.ts) from the node's batch pods' own usage. */
  #learnBatch(node: NodeState): void {
    if (node.requested.batch.cpu <= 0) return;
    for (const p of node.pods.values()) {
      if (p.class !== 'batch' || p.terminating) continue;
      const u = this.podUsage.get(p.uid);
      if (u) this.batchUsage.observe(p, u.cpu);
    }
  }

  /**
   * Feeds the app curves from one node sample: each online pod's own usage when a metrics source
   * gave it (recordPodUsage), else its share of the node's online-side usage not explained by pods
   * that have their own, shared by requests among the online and system pods without (system pods
   * take their share but have no curve). No pod-level data at all is the simulator's and a bare
   * node-metrics setup's case: the split by requests is then the whole story.
   */
  #learn(node: NodeState, sample: UsageSample): void {
    let knownCpu = 0;
    let knownMem = 0;
    let reqCpu = 0;
    let reqMem = 0;
    let unknown = 0;
    let online = 0;
    for (const p of node.pods.values()) {
      if (p.class === 'batch') continue;
      if (p.class === 'online') online++;
      const u = this.podUsage.get(p.uid);
      if (u) {
        knownCpu += u.cpu;
        knownMem += u.memory;
      } else {
        unknown++;
        reqCpu += p.requests.cpu;
        reqMem += p.requests.memory;
      }
    }
    if (online === 0) return;
    const restCpu = Math.max(0, sample.online.cpu - knownCpu);
    const restMem = Math.max(0, sample.online.memory - knownMem);
    const share = this.#share;
    for (const p of node.pods.values()) {
      if (p.class !== 'online') continue;
      const u = this.podUsage.get(p.uid);
      if (u) {
        this.curves.observe(p.app, sample.time, u);
        continue;
      }
      share.cpu = reqCpu > 0 ? (restCpu * p.requests.cpu) / reqCpu : restCpu / unknown;
      share.memory = reqMem > 0 ? (restMem * p.requests.memory) / reqMem : restMem / unknown;
      this.curves.observe(p.app, sample.time, share);
    }
  }

  readonly #share: Resources = { cpu: 0, memory: 0 };

  recordPodUsage(uid: string, usage: Resources): void {
    const p = this.pods.get(uid);
    if (!p) return;
    this.podUsage.set(uid, usage);
    if (this.#learning && p.class === 'batch' && p.nodeName && !p.terminating) this.batchUsage.observe(p, usage.cpu);
  }

  upsertPdb(pdb: PdbSpec): void {
    let ns = this.pdbs.get(pdb.namespace);
    if (!ns) this.pdbs.set(pdb.namespace, (ns = new Map()));
    ns.set(pdb.name, pdb);
    this.version++;
  }

  removePdb(namespace: string, name: string): void {
    const ns = this.pdbs.get(namespace);
    if (!ns?.delete(name)) return;
    if (ns.size === 0) this.pdbs.delete(namespace);
    this.version++;
  }

  /** The budgets that cover a pod (same namespace, selector matches its labels). */
  pdbsFor(pod: PodInfo): PdbSpec[] {
    const ns = this.pdbs.get(pod.namespace);
    if (!ns) return [];
    const out: PdbSpec[] = [];
    for (const pdb of ns.values()) if (matchesSelector(pdb.selector, pod.labels)) out.push(pdb);
    return out;
  }

  appZoneCount(app: string, zone: string): number {
    return this.appZoneCounts.get(app)?.get(zone) ?? 0;
  }

  /** The app's bound pods by table row (rows without any are absent); undefined when none is bound. */
  appRows(app: string): ReadonlyMap<number, number> | undefined {
    return this.#appRows.get(app);
  }

  #unbind(pod: PodInfo): void {
    if (!pod.nodeName) return;
    const node = this.nodes.get(pod.nodeName);
    if (node && node.pods.get(pod.uid) === pod) this.#detach(pod, node);
    this.#waitingForNode.get(pod.nodeName)?.delete(pod.uid);
  }

  #attach(pod: PodInfo, node: NodeState, boundAt: number): void {
    node.attach(pod, boundAt);
    this.#nodeCurves?.attach(pod, node);
    countIn(this.appZoneCounts, pod.app, node.spec.zone, 1);
    countIn(this.#appRows, pod.app, node.index, 1);
  }

  #detach(pod: PodInfo, node: NodeState): void {
    node.detach(pod);
    this.#nodeCurves?.detach(pod, node);
    countIn(this.appZoneCounts, pod.app, node.spec.zone, -1);
    countIn(this.#appRows, pod.app, node.index, -1);
  }

  #wait(pod: PodInfo): void {
    let set = this.#waitingForNode.get(pod.nodeName);
    if (!set) this.#waitingForNode.set(pod.nodeName, (set = new Set()));
    set.add(pod.uid);
  }

}

/** counts[outer][inner] += delta, dropping counts that reach 0 and inner maps left empty. */
function countIn<K>(counts: Map<string, Map<K, number>>, outer: string, inner: K, delta: number): void {
  let m = counts.get(outer);
  if (!m) counts.set(outer, (m = new Map()));
  const n = (m.get(inner) ?? 0) + delta;
  if (n <= 0) m.delete(inner);
  else m.set(inner, n);
  if (m.size === 0) counts.delete(outer);
}
