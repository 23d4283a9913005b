// The one evictor every descheduling strategy goes through (kubernetes-sigs/descheduler's
// DefaultEvictor and EvictionLimiter in one): strategies say what a node needs (needs.ts), the evictor
// picks the victims and enforces every limit, so that a limit set here holds for all of them.
//
//   nodes      served most severe first (the highest severity among a node's needs), then by name:
//              where the budget cannot cover every node, the nodes furthest over go first
//   victims    the node's pods that victims.ts allows (batch only, never mirror, DaemonSet, bare or
//              local-storage pods unless the rules say so, priority threshold, minimum age), not
//              already asked to leave (in flight), cheapest first (compareVictims)
//   per victim stop when no need of the node is unmet; pass over a pod that frees nothing a need is
//              short of; then, in this order:
//                per cycle / rate   evictions planned >= min(maxTotal, rate budget)  -> stop the node
//                per node           evictions planned on the node >= maxPerNode      -> stop the node
//                per namespace      evictions planned in its namespace >= maxPerNamespace -> next pod
//                PDB                a PDB that selects it has no disruption left    -> next pod
//                strategy's own     a need's admit() refuses (Koordinator's cold capacity) -> stop
//              a limit of 0 means none. The eviction carries the reason of the first unmet need.
// Counters live in the instance: one Evictor per descheduling cycle; run() may be called more than
// once in a cycle (one strategy after another) and the limits span the calls.

import type { PodInfo, Resources } from '../model.ts';
import type { ClusterState, NodeState } from '../state.ts';
import { compareVictims, notEvictable, type EvictionRules } from '../victims.ts';
import type { Need } from './needs.ts';

export interface EvictionLimits {
  /** Per cycle; 0 means no limit. */
  maxPerNode: number;
  maxPerNamespace: number;
  maxTotal: number;
}

export const NO_LIMITS: Readonly<EvictionLimits> = Object.freeze({ maxPerNode: 0, maxPerNamespace: 0, maxTotal: 0 });

export interface EvictorOptions {
  rules: EvictionRules;
  limits: EvictionLimits;
  /** Evictions the rate limiter allows this cycle (whole tokens); Infinity for none. */
  rateBudget: number;
  /** Pods already asked to leave: never picked again. */
  inFlight?: ReadonlySet<string>;
  /**
   * Count PodDisruptionBudgets while planning (default), so the plan asks only what the Eviction API
   * will grant; false leaves them to the API alone (Koordinator's LowNodeLoad plans without them).
   */
  podDisruptionBudgets?: boolean;
}

export interface PlannedEviction<R extends string = string> {
  pod: PodInfo;
  node: string;
  reason: R;
  /** Why, in words, for the pod annotation and the Kubernetes Event. */
  message: string;
}

/** What the evictor did for one node. */
export interface NodeOutcome<N extends Need = Need> {
  node: NodeState;
  /** The node's needs, in the order given. */
  needs: readonly N[];
  planned: number;
  /** What is still over after the plan, per resource the largest of its needs' remainders. */
  remaining: Resources;
}

interface Group<N extends Need> extends NodeOutcome<N> {
  needs: N[];
  severity: number;
}

export class Evictor<N extends Need = Need> {
  readonly evictions: Array<PlannedEviction<N['reason']>> = [];
  /** Pods passed over, by reason (not evictable, limit reached, PDB would refuse). */
  readonly skipped = new Map<string, number>();
  readonly #state: ClusterState;
  readonly #now: number;
  readonly #o: EvictorOptions;
  readonly #inFlight: ReadonlySet<string>;
  readonly #perNamespace = new Map<string, number>();
  readonly #perNode = new Map<string, number>();
  readonly #pdbUsed = new Map<string, number>();
  /** Pods planned by an earlier run() of this cycle (still in the state): never picked twice. */
  #planned: Set<string> | null = null;
  readonly #totalCap: number;
  readonly #totalWhy: string;

  constructor(state: ClusterState, now: number, options: EvictorOptions) {
    this.#state = state;
    this.#now = now;
    this.#o = options;
    this.#inFlight = options.inFlight ?? new Set();
    const maxTotal = options.limits.maxTotal > 0 ? options.limits.maxTotal : Infinity;
    this.#totalCap = Math.min(maxTotal, options.rateBudget);
    this.#totalWhy = options.rateBudget < maxTotal ? 'limit: eviction rate' : 'limit: per cycle';
  }

  /** Serves the needs (any strategies', in strategy order), most severe node first. */
  run(needs: readonly N[]): Array<NodeOutcome<N>> {
    if (this.evictions.length > 0) this.#planned = new Set(this.evictions.map((e) => e.pod.uid));
    // Grouped by the node's row in the state (dense, stable within a cycle).
    const byRow = new Array<Group<N> | undefined>(this.#state.nodeList.length);
    const groups: Array<Group<N>> = [];
    for (const n of needs) {
      const g = byRow[n.node.index];
      if (g) {
        g.needs.push(n);
        g.severity = Math.max(g.severity, n.severity);
      } else groups.push((byRow[n.node.index] = { node: n.node, needs: [n], severity: n.severity, planned: 0, remaining: { cpu: 0, memory: 0 } }));
    }
    groups.sort((x, y) => y.severity - x.severity || (x.node.name < y.node.name ? -1 : 1));
    for (const g of groups) this.#serve(g);
    return groups;
  }

  /**
   * The node's evictable pods not in flight nor already planned, cheapest first; the batch ones the
   * rules protect are counted as skipped.
   */
  victims(node: NodeState): PodInfo[] {
    const { rules } = this.#o;
    const now = this.#now;
    const inFlight = this.#inFlight;
    const planned = this.#planned;
    const out: PodInfo[] = [];
    for (const p of node.pods.values()) {
      if (inFlight.has(p.uid) || (planned !== null && planned.has(p.uid))) continue;
      const why = notEvictable(p, rules, now);
      if (why === null) out.push(p);
      else if (p.class === 'batch') this.#skip(`not evictable: ${why}`);
    }
    return out.sort((x, y) => compareVictims(x, y, now));
  }

  /** Evicts from the group's node until its needs are met or a limit stops it; fills in the outcome. */
  #serve(g: Group<N>): void {
    const { node, needs } = g;
    const { limits } = this.#o;
    const pdbsOn = this.#o.podDisruptionBudgets ?? true;
    let planned = this.#perNode.get(node.name) ?? 0;
    for (const v of this.victims(node)) {
      let first: N | null = null;
      for (const n of needs) {
        if (n.unmet()) {
          first = n;
          break;
        }
      }
      if (first === null) break;
      let helps = false;
      for (const n of needs) {
        if (n.helps(v)) {
          helps = true;
          break;
        }
      }
      // A victim that frees nothing the node is short of is left in place.
      if (!helps) continue;
      if (this.evictions.length >= this.#totalCap) {
        this.#skip(this.#totalWhy);
        break;
      }
      if (limits.maxPerNode > 0 && planned >= limits.maxPerNode) {
        this.#skip('limit: per node');
        break;
      }
      if (limits.maxPerNamespace > 0 && (this.#perNamespace.get(v.namespace) ?? 0) >= limits.maxPerNamespace) {
        this.#skip('limit: per namespace');
        continue;
      }
      const pdbs = pdbsOn ? this.#state.pdbsFor(v) : [];
      if (pdbs.some((b) => (this.#pdbUsed.get(`${b.namespace}/${b.name}`) ?? 0) >= b.disruptionsAllowed)) {
        this.#skip('PodDisruptionBudget allows no more disruptions');
        continue;
      }
      let admitted = true;
      for (const n of needs) {
        if (n.admit && !n.admit(v)) {
          admitted = false;
          break;
        }
      }
      if (!admitted) break;
      for (const b of pdbs) this.#pdbUsed.set(`${b.namespace}/${b.name}`, (this.#pdbUsed.get(`${b.namespace}/${b.name}`) ?? 0) + 1);
      this.#perNamespace.set(v.namespace, (this.#perNamespace.get(v.namespace) ?? 0) + 1);
      planned++;
      this.evictions.push({ pod: v, node: node.name, reason: first.reason, message: first.message() });
      for (const n of needs) n.take(v);
    }
    this.#perNode.set(node.name, planned);
    g.planned = planned;
    for (const n of needs) {
      const r = n.remaining();
      g.remaining.cpu = Math.max(g.remaining.cpu, r.cpu);
      g.remaining.memory = Math.max(g.remaining.memory, r.memory);
    }
  }

  #skip(why: string): void {
    this.skipped.set(why, (this.skipped.get(why) ?? 0) + 1);
  }
}
