// Crane's node annotator (crane-scheduler pkg/controller/annotator) on the simulator's clock: it keeps
// each node's utilisation samples (all pods, batch included, as node-exporter sees the node) and writes
// the Dynamic plugin's figures onto the node on their sync periods (3 min, 15 min, 3 h).

import type { PeerController } from '../../policies/types.ts';
import { annotatorLoad, CRANE_DEFAULTS, type LoadSample } from './formula.ts';
import { LOAD_KEYS } from './plugin.ts';

const TICK_MS = 60_000;
const KEEP_MS = 86_400_000 + 5 * 60_000;

export function annotatorController(): PeerController {
  const samples = new Map<string, LoadSample[]>();
  const sync = CRANE_DEFAULTS.dynamic.syncMs;
  const next = { avg5m: -Infinity, maxAvg1h: -Infinity, maxAvg1d: -Infinity };
  return {
    intervalMs: TICK_MS,
    tick(api, now) {
      const due = (['avg5m', 'maxAvg1h', 'maxAvg1d'] as const).filter((k) => now >= next[k]);
      for (const k of due) next[k] = now + sync[k];
      const live = new Set<string>();
      for (const node of api.state.nodeList) {
        live.add(node.name);
        let list = samples.get(node.name);
        if (!list) samples.set(node.name, (list = []));
        const s = node.table.histories[node.index]!.latest();
        const a = node.spec.allocatable;
        if (s && (list.length === 0 || s.time > list[list.length - 1]!.time) && a.cpu > 0 && a.memory > 0) {
          list.push({ time: s.time, cpu: (s.online.cpu + s.batch.cpu) / a.cpu, memory: (s.online.memory + s.batch.memory) / a.memory });
        }
        while (list.length > 0 && list[0]!.time <= now - KEEP_MS) list.shift();
        if (due.length === 0 || list.length === 0) continue;
        const load = annotatorLoad(list, now);
        const labels: Record<string, string> = { ...node.spec.labels };
        let changed = false;
        for (const r of ['cpu', 'memory'] as const) {
          for (const k of due) {
            const v = load[r][k];
            const key = LOAD_KEYS[r][k];
            const text = v === null ? undefined : v.toFixed(4);
            if (labels[key] === text) continue;
            if (text === undefined) delete labels[key];
            else labels[key] = text;
            changed = true;
          }
        }
        if (changed) api.setNodeLabels(node.name, labels);
      }
      for (const name of samples.keys()) if (!live.has(name)) samples.delete(name);
    },
  };
}
