// The kube-scheduler extender wire format (k8s.io/kube-scheduler/extender/v1). Those Go types carry no
// json tags, so keys are the Go field names, Capitalised; the embedded Pod, Node and NodeList objects
// are ordinary Kubernetes JSON (camelCase). Go's decoder matches keys case-insensitively, so the
// top-level keys are looked up the same way here; the scheduler itself sends the Capitalised form.
//
// Validation is shallow but names the field: whatever the converter or the handlers read must have
// the type they expect, so that a malformed request is a 400 saying what is wrong, never a 500.

import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { parseQuantity } from '../core/quantity.ts';

/** A v1.Pod as JSON: timestamps are strings on the wire (convert.ts reads both forms). */
export type WirePod = V1Pod;
export type WireNode = V1Node;

/** A v1.NodeList as the scheduler sends it: `{"metadata":{},"items":[...]}` (items may be null when empty). */
export interface WireNodeList {
  apiVersion?: string;
  kind?: string;
  metadata?: Record<string, unknown>;
  items: WireNode[] | null;
}

export interface ExtenderArgs {
  Pod: WirePod;
  /** Set only when nodeCacheCapable is false. */
  Nodes: WireNodeList | null;
  /** Set only when nodeCacheCapable is true. */
  NodeNames: string[] | null;
}

export type FailedNodesMap = Record<string, string>;

export interface ExtenderFilterResult {
  /** Answer for nodeCacheCapable false: the passing subset of the input NodeList. */
  Nodes: WireNodeList | null;
  /** Answer for nodeCacheCapable true: the passing subset of the input names. */
  NodeNames: string[] | null;
  FailedNodes: FailedNodesMap;
  /** Nodes where preemption would not help; wins over FailedNodes. */
  FailedAndUnresolvableNodes: FailedNodesMap;
  Error: string;
}

export interface HostPriority {
  Host: string;
  /** 0..MAX_EXTENDER_PRIORITY. */
  Score: number;
}

export type HostPriorityList = HostPriority[];

export { MAX_EXTENDER_PRIORITY } from '../core/config.ts';

export interface MetaPod {
  UID: string;
}

export interface MetaVictims {
  Pods: MetaPod[];
  NumPDBViolations: number;
}

export interface Victims {
  Pods: WirePod[];
  NumPDBViolations: number;
}

export interface ExtenderPreemptionArgs {
  Pod: WirePod;
  /** Set only when nodeCacheCapable is false. */
  NodeNameToVictims: Record<string, Victims | null> | null;
  /** Set only when nodeCacheCapable is true. */
  NodeNameToMetaVictims: Record<string, MetaVictims | null> | null;
}

export interface ExtenderPreemptionResult {
  NodeNameToMetaVictims: Record<string, MetaVictims>;
}

/**
 * The bind verb's request (kube-scheduler sends it when the configuration names a bindVerb, for pods
 * the extender is interested in): the extender must create the Binding itself.
 */
export interface ExtenderBindingArgs {
  PodName: string;
  PodNamespace: string;
  PodUID: string;
  Node: string;
}

/** The bind verb's answer: "" when the pod is bound; a message otherwise (kube-scheduler then retries the pod). */
export interface ExtenderBindingResult {
  Error: string;
}

/** A request the extender cannot make sense of: answered with the status (400 unless said) and the message. */
export class WireError extends Error {
  readonly status: number;

  constructor(message: string, status = 400) {
    super(message);
    this.name = 'WireError';
    this.status = status;
  }
}

/**
 * Node names one request may carry: Kubernetes supports clusters of 5,000 nodes, so ten times that
 * is no real cluster, and the answer (a reason per unknown name) stays a few MB.
 */
export const MAX_NODES_PER_REQUEST = 50_000;

function checkNodeCount(n: number, path: string): void {
  if (n > MAX_NODES_PER_REQUEST) {
    throw new WireError(`${path}: ${n} nodes in one request; at most ${MAX_NODES_PER_REQUEST.toLocaleString('en-US')} are read (Kubernetes supports clusters of up to 5,000 nodes)`, 413);
  }
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** A top-level key, matched as Go's encoding/json matches struct fields: exact first, then case-insensitively. */
function field(body: Obj, name: string): unknown {
  if (Object.hasOwn(body, name)) return body[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(body)) if (k.toLowerCase() === lower) return body[k];
  return undefined;
}

function expectObject(v: unknown, path: string, what: string): Obj {
  if (!isObj(v)) throw new WireError(`${path}: must be ${what} (got ${typeName(v)})`);
  return v;
}

function optionalObject(o: Obj, key: string, path: string): void {
  const v = o[key];
  if (v !== undefined && v !== null && !isObj(v)) throw new WireError(`${path}.${key}: must be an object (got ${typeName(v)})`);
}

function optionalArray(o: Obj, key: string, path: string): unknown[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new WireError(`${path}.${key}: must be an array (got ${typeName(v)})`);
  return v;
}

function optionalStringMap(o: Obj, key: string, path: string): void {
  const v = o[key];
  if (v === undefined || v === null) return;
  if (!isObj(v)) throw new WireError(`${path}.${key}: must be an object of strings (got ${typeName(v)})`);
  for (const k in v) if (typeof v[k] !== 'string') throw new WireError(`${path}.${key}[${k}]: must be a string (got ${typeName(v[k])})`);
}

/**
 * A resource list (requests, limits, overhead, allocatable): every value must be a quantity the
 * apiserver would accept (a string such as 500m, 1.5Gi, 1e3, or a JSON number), finite and not
 * negative. Tidal reads these to decide; one it cannot read is a 400 naming the field, not a zero.
 */
function checkResourceList(o: Obj, key: string, path: string): void {
  const v = o[key];
  if (v === undefined || v === null) return;
  if (!isObj(v)) throw new WireError(`${path}.${key}: must be an object of quantities (got ${typeName(v)})`);
  for (const name of Object.keys(v)) {
    const q = v[name];
    const at = `${path}.${key}[${name}]`;
    if (typeof q !== 'string' && typeof q !== 'number') throw new WireError(`${at}: must be a quantity such as 500m or 2Gi (got ${typeName(q)})`);
    let value: number;
    try {
      value = parseQuantity(q);
    } catch (e) {
      throw new WireError(`${at}: ${(e as Error).message}`);
    }
    if (!Number.isFinite(value)) throw new WireError(`${at}: ${JSON.stringify(q)} is too large to be a quantity`);
    if (value < 0) throw new WireError(`${at}: must not be negative (got ${JSON.stringify(q)})`);
  }
}

function checkResources(o: Obj, key: string, path: string): void {
  optionalObject(o, key, path);
  const r = o[key];
  if (!isObj(r)) return;
  checkResourceList(r, 'requests', `${path}.${key}`);
  checkResourceList(r, 'limits', `${path}.${key}`);
}

/** The parts of a Pod that Tidal reads must have the types it reads them as; other fields pass untouched. */
export function checkPod(v: unknown, path: string, requireUid = false): WirePod {
  if (v === undefined || v === null) throw new WireError(`${path}: required (the v1.Pod)`);
  const pod = expectObject(v, path, 'an object (a v1.Pod)');
  const meta = expectObject(pod.metadata, `${path}.metadata`, 'an object');
  if (typeof meta.name !== 'string' || meta.name === '') throw new WireError(`${path}.metadata.name: required (a string)`);
  for (const k of ['namespace', 'uid'] as const) {
    if (meta[k] !== undefined && typeof meta[k] !== 'string') throw new WireError(`${path}.metadata.${k}: must be a string (got ${typeName(meta[k])})`);
  }
  if (requireUid && (typeof meta.uid !== 'string' || meta.uid === '')) throw new WireError(`${path}.metadata.uid: required (victims are named by UID)`);
  optionalStringMap(meta, 'labels', `${path}.metadata`);
  optionalStringMap(meta, 'annotations', `${path}.metadata`);
  optionalArray(meta, 'ownerReferences', `${path}.metadata`).forEach((r, i) => {
    const rp = `${path}.metadata.ownerReferences[${i}]`;
    const ref = expectObject(r, rp, 'an object');
    for (const k of ['apiVersion', 'kind', 'name', 'uid'] as const) {
      if (ref[k] !== undefined && ref[k] !== null && typeof ref[k] !== 'string') throw new WireError(`${rp}.${k}: must be a string (got ${typeName(ref[k])})`);
    }
    for (const k of ['controller', 'blockOwnerDeletion'] as const) {
      if (ref[k] !== undefined && ref[k] !== null && typeof ref[k] !== 'boolean') throw new WireError(`${rp}.${k}: must be true or false (got ${typeName(ref[k])})`);
    }
  });
  if (pod.spec !== undefined && pod.spec !== null) {
    const spec = expectObject(pod.spec, `${path}.spec`, 'an object');
    for (const list of ['containers', 'initContainers'] as const) {
      optionalArray(spec, list, `${path}.spec`).forEach((c, i) => {
        const cp = `${path}.spec.${list}[${i}]`;
        const container = expectObject(c, cp, 'an object');
        checkResources(container, 'resources', cp);
      });
    }
    optionalArray(spec, 'volumes', `${path}.spec`).forEach((vol, i) => expectObject(vol, `${path}.spec.volumes[${i}]`, 'an object'));
    checkResourceList(spec, 'overhead', `${path}.spec`);
    checkResources(spec, 'resources', `${path}.spec`);
    if (spec.priority !== undefined && spec.priority !== null && typeof spec.priority !== 'number') {
      throw new WireError(`${path}.spec.priority: must be an integer (got ${typeName(spec.priority)})`);
    }
    for (const k of ['nodeName', 'priorityClassName'] as const) {
      if (spec[k] !== undefined && spec[k] !== null && typeof spec[k] !== 'string') throw new WireError(`${path}.spec.${k}: must be a string (got ${typeName(spec[k])})`);
    }
  }
  if (pod.status !== undefined && pod.status !== null) {
    const status = expectObject(pod.status, `${path}.status`, 'an object');
    for (const list of ['containerStatuses', 'initContainerStatuses', 'conditions'] as const) {
      optionalArray(status, list, `${path}.status`).forEach((s, i) => {
        const sp = `${path}.status.${list}[${i}]`;
        const st = expectObject(s, sp, 'an object');
        if (list === 'conditions') return;
        checkResourceList(st, 'allocatedResources', sp);
        checkResources(st, 'resources', sp);
      });
    }
  }
  return pod as WirePod;
}

function requireBody(body: unknown, what: string): Obj {
  if (!isObj(body)) throw new WireError(`request body must be a JSON object (${what}), got ${typeName(body)}`);
  return body;
}

/** Validates the body of a filter or prioritize call. */
export function parseExtenderArgs(body: unknown): ExtenderArgs {
  const b = requireBody(body, 'ExtenderArgs');
  const pod = checkPod(field(b, 'Pod'), 'Pod');
  const rawNames = field(b, 'NodeNames');
  const rawNodes = field(b, 'Nodes');
  const hasNames = rawNames !== undefined && rawNames !== null;
  const hasNodes = rawNodes !== undefined && rawNodes !== null;
  if (!hasNames && !hasNodes) {
    throw new WireError('NodeNames and Nodes are both null: one must be set (NodeNames when nodeCacheCapable is true, Nodes otherwise)');
  }
  if (hasNames && hasNodes) throw new WireError('NodeNames and Nodes are both set: kube-scheduler sends only one (NodeNames when nodeCacheCapable is true)');
  if (hasNames) {
    if (!Array.isArray(rawNames)) throw new WireError(`NodeNames: must be an array of node names (got ${typeName(rawNames)})`);
    checkNodeCount(rawNames.length, 'NodeNames');
    for (let i = 0; i < rawNames.length; i++) {
      if (typeof rawNames[i] !== 'string') throw new WireError(`NodeNames[${i}]: must be a string (got ${typeName(rawNames[i])})`);
    }
    return { Pod: pod, Nodes: null, NodeNames: rawNames as string[] };
  }
  const list = expectObject(rawNodes, 'Nodes', 'an object (a v1.NodeList)');
  const items = list.items;
  if (items !== undefined && items !== null) {
    if (!Array.isArray(items)) throw new WireError(`Nodes.items: must be an array of v1.Node (got ${typeName(items)})`);
    checkNodeCount(items.length, 'Nodes.items');
    for (let i = 0; i < items.length; i++) {
      const n = items[i];
      if (!isObj(n) || !isObj(n.metadata) || typeof n.metadata.name !== 'string') {
        throw new WireError(`Nodes.items[${i}].metadata.name: required (a string)`);
      }
      if (n.status !== undefined && n.status !== null) {
        const st = expectObject(n.status, `Nodes.items[${i}].status`, 'an object');
        checkResourceList(st, 'allocatable', `Nodes.items[${i}].status`);
        checkResourceList(st, 'capacity', `Nodes.items[${i}].status`);
      }
    }
  }
  return { Pod: pod, Nodes: { ...list, items: (items as WireNode[] | null | undefined) ?? null } as WireNodeList, NodeNames: null };
}

function checkNumPdb(v: Obj, path: string): number {
  const n = v.NumPDBViolations ?? field(v, 'NumPDBViolations');
  if (n === undefined || n === null) return 0;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new WireError(`${path}.NumPDBViolations: must be a non-negative integer (got ${JSON.stringify(n)})`);
  return n;
}

/** Validates the body of a preempt call. */
export function parsePreemptionArgs(body: unknown): ExtenderPreemptionArgs {
  const b = requireBody(body, 'ExtenderPreemptionArgs');
  const pod = checkPod(field(b, 'Pod'), 'Pod');
  const rawMeta = field(b, 'NodeNameToMetaVictims');
  const rawFull = field(b, 'NodeNameToVictims');
  const hasMeta = rawMeta !== undefined && rawMeta !== null;
  const hasFull = rawFull !== undefined && rawFull !== null;
  if (!hasMeta && !hasFull) {
    throw new WireError('NodeNameToMetaVictims and NodeNameToVictims are both null: one must be set (NodeNameToMetaVictims when nodeCacheCapable is true)');
  }
  if (hasMeta) {
    const map = expectObject(rawMeta, 'NodeNameToMetaVictims', 'an object mapping node names to MetaVictims');
    checkNodeCount(Object.keys(map).length, 'NodeNameToMetaVictims');
    const out: Record<string, MetaVictims | null> = Object.create(null); // a node named __proto__ stays a key
    for (const node of Object.keys(map)) {
      const path = `NodeNameToMetaVictims[${node}]`;
      const v = map[node];
      if (v === null || v === undefined) {
        out[node] = null;
        continue;
      }
      const mv = expectObject(v, path, 'an object (MetaVictims)');
      const pods = mv.Pods ?? field(mv, 'Pods');
      if (pods !== undefined && pods !== null && !Array.isArray(pods)) throw new WireError(`${path}.Pods: must be an array of {UID} (got ${typeName(pods)})`);
      const metas: MetaPod[] = [];
      ((pods as unknown[] | null | undefined) ?? []).forEach((p, i) => {
        const mp = expectObject(p, `${path}.Pods[${i}]`, 'an object (MetaPod)');
        const uid = mp.UID ?? field(mp, 'UID');
        if (typeof uid !== 'string' || uid === '') throw new WireError(`${path}.Pods[${i}].UID: required (a string)`);
        metas.push({ UID: uid });
      });
      out[node] = { Pods: metas, NumPDBViolations: checkNumPdb(mv, path) };
    }
    return { Pod: pod, NodeNameToMetaVictims: out, NodeNameToVictims: null };
  }
  const map = expectObject(rawFull, 'NodeNameToVictims', 'an object mapping node names to Victims');
  checkNodeCount(Object.keys(map).length, 'NodeNameToVictims');
  const out: Record<string, Victims | null> = Object.create(null);
  for (const node of Object.keys(map)) {
    const path = `NodeNameToVictims[${node}]`;
    const v = map[node];
    if (v === null || v === undefined) {
      out[node] = null;
      continue;
    }
    const victims = expectObject(v, path, 'an object (Victims)');
    const pods = victims.Pods ?? field(victims, 'Pods');
    if (pods !== undefined && pods !== null && !Array.isArray(pods)) throw new WireError(`${path}.Pods: must be an array of v1.Pod (got ${typeName(pods)})`);
    const checked = ((pods as unknown[] | null | undefined) ?? []).map((p, i) => checkPod(p, `${path}.Pods[${i}]`, true));
    out[node] = { Pods: checked, NumPDBViolations: checkNumPdb(victims, path) };
  }
  return { Pod: pod, NodeNameToMetaVictims: null, NodeNameToVictims: out };
}

/** Validates the body of a bind call: four non-empty strings. */
export function parseBindingArgs(body: unknown): ExtenderBindingArgs {
  const b = requireBody(body, 'ExtenderBindingArgs');
  const out: Record<string, string> = {};
  for (const k of ['PodName', 'PodNamespace', 'PodUID', 'Node'] as const) {
    const v = field(b, k);
    if (typeof v !== 'string' || v === '') throw new WireError(`${k}: required (a non-empty string, got ${v === undefined ? 'nothing' : v === '' ? 'an empty string' : typeName(v)})`);
    out[k] = v;
  }
  return { PodName: out.PodName!, PodNamespace: out.PodNamespace!, PodUID: out.PodUID!, Node: out.Node! };
}
