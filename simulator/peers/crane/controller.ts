// Crane's per-node controllers on the simulator's clock, one tick a minute:
//   crane-agent NodeResourceManager (crane pkg/resource/node_resource_manager.go): keeps each node's
//     usage samples and publishes the elastic resource gocrane.io/cpu|memory on the node (formula.ts
//     elasticFromSamples), rewritten only when it moves by more than 10 % (MinDeltaRatio);
//   crane-scheduler's node annotator (pkg/controller/annotator): writes the Dynamic plugin's load
//     figures (whole-node utilisation, batch included) on their sync periods (3 min, 15 min, 3 h).
// Both land on the node as labels standing for the node's status and annotations.

import type { PeerController } from '../../policies/types.ts';
import { annotatorLoad, CRANE_DEFAULTS, DEFAULT_PREDICTOR, elasticFromSamples, elasticUpdated, SortedWindow, type CranePredictor, type LoadSample, type NodeUsageSample } from './formula.ts';
import { ELASTIC_KEYS, LOAD_KEYS } from './plugin.ts';

const TICK_MS = 60_000;
const KEEP_LOAD_MS = 86_400_000 + 5 * 60_000;

interface NodeSamples {
  load: LoadSample[];
  /** The predictor's window: samples with time in (now - historyMs, now], oldest first. */
  usage: NodeUsageSample[];
  /** usage's totalCpu values in ascending order. */
  sorted: SortedWindow;
}

export function craneController(predictor: CranePredictor = DEFAULT_PREDICTOR): PeerController {
  const byNode = new Map<string, NodeSamples>();
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
        let ns = byNode.get(node.name);
        if (!ns) byNode.set(node.name, (ns = { load: [], usage: [], sorted: new SortedWindow() }));
        const s = node.table.histories[node.index]!.latest();
        const a = node.spec.allocatable;
        let fresh = false;
        if (s && (ns.usage.length === 0 || s.time > ns.usage[ns.usage.length - 1]!.time) && a.cpu > 0 && a.memory > 0) {
          fresh = true;
          ns.load.push({ time: s.time, cpu: (s.online.cpu + s.batch.cpu) / a.cpu, memory: (s.online.memory + s.batch.memory) / a.memory });
          ns.usage.push({ time: s.time, totalCpu: s.online.cpu + s.batch.cpu, nonElasticCpu: s.online.cpu, nonElasticMemory: s.online.memory });
          ns.sorted.add(s.online.cpu + s.batch.cpu);
        }
        while (ns.load.length > 0 && ns.load[0]!.time <= now - KEEP_LOAD_MS) ns.load.shift();
        while (ns.usage.length > 0 && ns.usage[0]!.time <= now - predictor.historyMs) ns.sorted.remove(ns.usage.shift()!.totalCpu);
        const labels: Record<string, string> = { ...node.spec.labels };
        let changed = false;
        const put = (key: string, text: string | undefined) => {
          if (labels[key] === text) return;
          if (text === undefined) delete labels[key];
          else labels[key] = text;
          changed = true;
        };
        if (fresh) {
          // Every kept sample is in the window (trimmed above, none after now), so the sorted totals are its values.
          const e = elasticFromSamples(ns.usage, now, a, predictor, ns.sorted.values);
          if (e) {
            for (const r of ['cpu', 'memory'] as const) {
              const cur = labels[ELASTIC_KEYS[r]];
              const v = Math.floor(e[r]);
              if (elasticUpdated(cur === undefined ? undefined : Number(cur), v)) put(ELASTIC_KEYS[r], String(v));
            }
          }
        }
        if (due.length > 0 && ns.load.length > 0) {
          const load = annotatorLoad(ns.load, now);
          for (const r of ['cpu', 'memory'] as const) for (const k of due) put(LOAD_KEYS[r][k], load[r][k] === null ? undefined : load[r][k]!.toFixed(4));
        }
        if (changed) api.setNodeLabels(node.name, labels);
      }
      for (const name of byNode.keys()) if (!live.has(name)) byNode.delete(name);
    },
  };
}
