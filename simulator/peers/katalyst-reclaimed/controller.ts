// sysadvisor's util-based CPU headroom on the simulator's clock: every minute, per node, the estimate
// of formula.ts run for the twelve 5-s QoS-aware periods of that minute (its inputs hold between usage
// samples), from the headroom the node reported last; the result is written on the node
// (LAST_HEADROOM_KEY, standing for the CNR's reclaimed CPU) and read by the plugins, which clamp it to
// the supply as it is at each decision. A node without a usage sample reports nothing.
//   supply          = max(0, A - reserve - online usage (the core's prediction: latest sample, pods bound since))
//   reclaimed usage = the latest sample's batch CPU

import { predictedNonBatch } from '../../../scheduler/core/capacity.ts';
import type { PeerController } from '../../policies/types.ts';
import { QOS_AWARE_SYNC_MS, ratchet, reclaimSupply } from './formula.ts';
import { LAST_HEADROOM_KEY, reserveAt, type KatalystReclaimedArgs } from './plugin.ts';

export const HEADROOM_TICK_MS = 60_000;

export function reclaimedController(args: KatalystReclaimedArgs): PeerController {
  return {
    intervalMs: HEADROOM_TICK_MS,
    tick(api, now) {
      const reserve = reserveAt(args, now);
      for (const node of [...api.state.nodeList]) {
        const s = node.usage.latest();
        if (!s) continue;
        const a = node.spec.allocatable.cpu;
        const supply = reclaimSupply(a, reserve.cpu, predictedNonBatch(node, now).cpu);
        const prev = node.spec.labels[LAST_HEADROOM_KEY];
        const h = Math.round(ratchet(prev === undefined ? 0 : Number(prev), a, supply, s.batch.cpu, HEADROOM_TICK_MS / QOS_AWARE_SYNC_MS, args.params.target));
        if (String(h) !== prev) api.setNodeLabels(node.name, { ...node.spec.labels, [LAST_HEADROOM_KEY]: String(h) });
      }
    },
  };
}
