// The plan as an operator reads it: per node and per namespace, for --dry-run and runbooks.

import type { EvictionPlan } from '../core/descheduling/plan.ts';
import { formatCpu, formatMemory } from '../core/quantity.ts';

export function formatPlan(plan: EvictionPlan, when: string): string {
  const lines: string[] = [];
  const lv = plan.level;
  lines.push(`Eviction plan at ${when}: window ${lv.window}${lv.drainingFor ? `, draining ahead of ${lv.drainingFor}` : ''}; batchShare ${lv.batchShare.toFixed(2)}, onlineHeadroom ${lv.onlineHeadroom.toFixed(2)}`);
  if (plan.evictions.length === 0) {
    lines.push('No evictions: batch fits the capacity this level allows on every node, and no node is a hot spot.');
  } else {
    const byNode = new Map<string, string[]>();
    const byNs = new Map<string, number>();
    const byReason = new Map<string, number>();
    for (const e of plan.evictions) {
      const l = byNode.get(e.node) ?? [];
      l.push(`${e.pod.namespace}/${e.pod.name} (${e.reason}, ${formatCpu(e.pod.requests.cpu)} cpu, ${formatMemory(e.pod.requests.memory)})`);
      byNode.set(e.node, l);
      byNs.set(e.pod.namespace, (byNs.get(e.pod.namespace) ?? 0) + 1);
      byReason.set(e.reason, (byReason.get(e.reason) ?? 0) + 1);
    }
    lines.push(`${plan.evictions.length} eviction(s): ${[...byReason].map(([r, n]) => `${n} ${r}`).join(', ')}`);
    lines.push('By node:');
    for (const [node, pods] of [...byNode].sort()) {
      lines.push(`  ${node}: ${pods.length}`);
      for (const p of pods) lines.push(`    - ${p}`);
    }
    lines.push('By namespace:');
    for (const [ns, n] of [...byNs].sort()) lines.push(`  ${ns}: ${n}`);
  }
  const short = plan.nodes.filter((n) => n.remaining.cpu > 0 || n.remaining.memory > 0);
  if (short.length > 0) {
    lines.push('Still over after this plan (limits or protected pods; later cycles continue):');
    for (const n of short) lines.push(`  ${n.node}: ${formatCpu(n.remaining.cpu)} cpu, ${formatMemory(n.remaining.memory)} memory`);
  }
  if (plan.skipped.size > 0) {
    lines.push('Passed over:');
    for (const [why, n] of [...plan.skipped].sort()) lines.push(`  ${why}: ${n}`);
  }
  return lines.join('\n');
}
