// Which workload class a pod belongs to. The rules are evaluated in a fixed order, first match wins:
//   1. the class label (default tidal.io/class: online | batch | system)
//   2. the class annotation (same key)
//   3. pods requesting Tidal's batch resources (tidal.io/batch-cpu, tidal.io/batch-memory) are batch:
//      kube-scheduler ignores those resources, so if Tidal did not count them nothing would
//   4. the PriorityClass name lists
//   5. DaemonSet-owned and mirror (static) pods are system
//   6. the priority value ranges
//   7. the system namespaces
//   8. the default class
// Defaults follow Koordinator's priority bands so that clusters already labelled for it classify alike:
// koord-batch (5000-5999) and koord-free (3000-3999) are batch; system-critical priorities (>= 1e9,
// the range Kubernetes reserves for system PriorityClasses) are system.

import type { WorkloadClass } from './model.ts';

export interface PriorityRange {
  min: number;
  max: number;
}

export interface ClassificationConfig {
  /** Label whose value names the class; empty string disables. */
  label: string;
  /** Annotation whose value names the class; empty string disables. */
  annotation: string;
  priorityClassNames: Record<WorkloadClass, string[]>;
  priorityRanges: Record<WorkloadClass, PriorityRange[]>;
  systemNamespaces: string[];
  defaultClass: WorkloadClass;
}

export const DEFAULT_CLASSIFICATION: ClassificationConfig = {
  label: 'tidal.io/class',
  annotation: 'tidal.io/class',
  priorityClassNames: {
    online: ['tidal-online', 'koord-prod'],
    batch: ['tidal-batch', 'koord-batch', 'koord-free'],
    system: ['system-cluster-critical', 'system-node-critical'],
  },
  priorityRanges: {
    online: [],
    batch: [{ min: 3000, max: 5999 }],
    system: [{ min: 1_000_000_000, max: Number.MAX_SAFE_INTEGER }],
  },
  systemNamespaces: ['kube-system'],
  defaultClass: 'online',
};

export interface PodClassInput {
  namespace: string;
  labels?: Readonly<Record<string, string>> | undefined;
  annotations?: Readonly<Record<string, string>> | undefined;
  priorityClassName?: string | undefined;
  priority?: number | undefined;
  ownerKind?: string | undefined;
  isMirror?: boolean | undefined;
  /** Requests or limits name tidal.io/batch-cpu or tidal.io/batch-memory. */
  requestsBatchResources?: boolean | undefined;
}

const CLASSES: readonly WorkloadClass[] = ['online', 'batch', 'system'];

export function isWorkloadClass(v: unknown): v is WorkloadClass {
  return typeof v === 'string' && (CLASSES as readonly string[]).includes(v);
}

export interface Classification {
  class: WorkloadClass;
  /** Which rule decided, for logs and `tidal explain`-style output. */
  rule: string;
}

export function classifyPod(pod: PodClassInput, cfg: ClassificationConfig = DEFAULT_CLASSIFICATION): Classification {
  if (cfg.label) {
    const v = pod.labels?.[cfg.label];
    if (isWorkloadClass(v)) return { class: v, rule: `label ${cfg.label}=${v}` };
  }
  if (cfg.annotation) {
    const v = pod.annotations?.[cfg.annotation];
    if (isWorkloadClass(v)) return { class: v, rule: `annotation ${cfg.annotation}=${v}` };
  }
  if (pod.requestsBatchResources) return { class: 'batch', rule: 'requests tidal.io batch resources' };
  if (pod.priorityClassName) {
    for (const c of CLASSES) {
      if (cfg.priorityClassNames[c].includes(pod.priorityClassName)) {
        return { class: c, rule: `priorityClassName ${pod.priorityClassName}` };
      }
    }
  }
  if (pod.ownerKind === 'DaemonSet') return { class: 'system', rule: 'DaemonSet pod' };
  if (pod.isMirror) return { class: 'system', rule: 'mirror (static) pod' };
  if (pod.priority !== undefined) {
    for (const c of CLASSES) {
      for (const r of cfg.priorityRanges[c]) {
        if (pod.priority >= r.min && pod.priority <= r.max) {
          return { class: c, rule: `priority ${pod.priority} in [${r.min}, ${r.max}]` };
        }
      }
    }
  }
  if (cfg.systemNamespaces.includes(pod.namespace)) return { class: 'system', rule: `namespace ${pod.namespace}` };
  return { class: cfg.defaultClass, rule: 'default' };
}
