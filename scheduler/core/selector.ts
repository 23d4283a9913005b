// Label selector matching with Kubernetes semantics: every matchLabels pair and every expression must
// hold; an empty selector matches everything (as for PodDisruptionBudgets in policy/v1).

import type { LabelSelector } from './model.ts';

export function matchesSelector(sel: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  if (sel.matchLabels) {
    for (const k in sel.matchLabels) if (labels[k] !== sel.matchLabels[k]) return false;
  }
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    switch (e.operator) {
      case 'In':
        if (!has || !(e.values ?? []).includes(labels[e.key]!)) return false;
        break;
      case 'NotIn':
        if (has && (e.values ?? []).includes(labels[e.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
