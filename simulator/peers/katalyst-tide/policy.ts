// The `katalyst-tide` policy, "katalyst-tide (node pool)": Katalyst's Tide node pool on the one core
// (its co-location product, reclaimed_cores on shared nodes, is `katalyst-reclaimed`) (simulator/peers/katalyst-tide/formula.ts).
//   pool         50 % of the nodes reserved online, 10 % reserved offline, the rest tide nodes
//                (Katalyst has no default reserve; these are this baseline's)
//   placement    online pods on node-type=online nodes, batch on node-type=offline nodes, each at its
//                requests against allocatable, least allocated (no usage-based co-location on a node)
//   controller   every 10 s, at most one flip: an offline tide node flips online (its batch evicted)
//                when an online pod fits nowhere else; otherwise the least utilised online tide node
//                flips offline when all its online pods fit on the other online nodes (they are evicted
//                and rescheduled)

import { KatalystTideNodeType } from './plugin.ts';
import { KUBE_DEFAULT, type PolicyConfig } from '../../../scheduler/core/config.ts';
import { constantProfile } from '../../../scheduler/core/profile.ts';
import type { PodInfo } from '../../../scheduler/core/model.ts';
import { classifyNewNodes, flipLabels, poolLabels, TIDE_DEFAULT_RESERVE, TIDE_INTERVAL_MS, TIDE_LABELS, tideStep } from './formula.ts';
import type { PeerController, SimPolicy } from '../../policies/types.ts';

export const KATALYST_CONFIG: PolicyConfig = { ...KUBE_DEFAULT, name: 'katalyst-tide', filters: [...KUBE_DEFAULT.filters, 'KatalystTide'] };

export function tideController(): PeerController {
  return tideControllerWith(TIDE_DEFAULT_RESERVE);
}

/** The Tide controller with a given pool reserve (fractions of the nodes kept online / offline). */
export function tideControllerWith(reserve: { online: number; offline: number }): PeerController {
  // Nothing to decide when neither the cluster nor the pending online pods changed since the last cycle.
  let seen = -1;
  let seenPending = -1;
  return {
    intervalMs: TIDE_INTERVAL_MS,
    tick(api, now) {
      const nodes = api.state.nodeList;
      if (nodes.some((n) => n.spec.labels[TIDE_LABELS.pool] === undefined)) {
        for (const [name, role] of classifyNewNodes(nodes.map((n) => n.spec), reserve)) api.setNodeLabels(name, poolLabels(api.state.nodes.get(name)!.spec.labels, role));
      }
      const pending = api.pending('online');
      if (api.state.version === seen && pending.length === seenPending) return;
      const fitsNow = (pod: PodInfo) => api.engine.filter(api.engine.context(pod, now), null).feasible.length > 0;
      const action = tideStep(api.state, pending, fitsNow);
      if (action) {
        api.setNodeLabels(action.flip, flipLabels(api.state.nodes.get(action.flip)!.spec.labels, action.to));
        for (const p of action.evict) api.evict(p.uid, action.to === 'online' ? 'tide-flip-online' : 'tide-release-online-pods');
      }
      seen = api.state.version;
      seenPending = api.pending('online').length;
    },
  };
}

export const KATALYST_TIDE: SimPolicy = {
  definitions: [KatalystTideNodeType],
  name: 'katalyst-tide',
  description: 'katalyst-tide (node pool): Katalyst Tide, reserved online (50%) and offline (10%) nodes, tide nodes flipped every 10 s by the pending-pod rule; pods at their requests, online and batch never share a node',
  config: KATALYST_CONFIG,
  planner: null,
  profileFor: (p) => constantProfile({ batchShare: 1, onlineHeadroom: 0 }, 'none', p.timeZone),
  controller: tideController,
};

/** The sweep's knobs for katalyst-tide: the pool's reserve (defaults 0.5 online, 0.1 offline). */
export interface KatalystKnobs {
  reserveOnline?: number;
  reserveOffline?: number;
}

/** katalyst-tide with another reserve (at the defaults, byte-identical to KATALYST_TIDE: test/unit/sweep). */
export function katalystTidePolicy(k: KatalystKnobs = {}): SimPolicy {
  const reserve = { online: k.reserveOnline ?? TIDE_DEFAULT_RESERVE.online, offline: k.reserveOffline ?? TIDE_DEFAULT_RESERVE.offline };
  return { ...KATALYST_TIDE, controller: () => tideControllerWith(reserve) };
}
