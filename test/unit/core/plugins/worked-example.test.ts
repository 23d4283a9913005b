// The README's worked example of a new plugin ("Adding a plugin"), built exactly as written there and
// run through an engine: if the plugin API changes, this fails and the README must follow.

import { describe, expect, it } from 'vitest';
import { TIME_SHARING } from '../../../../scheduler/core/config.ts';
import { PolicyEngine } from '../../../../scheduler/core/engine.ts';
import { failWith, type ArgsIssue, type FilterDefinition } from '../../../../scheduler/core/framework.ts';
import { constantProfile } from '../../../../scheduler/core/profile.ts';
import { DEFAULT_FILTERS } from '../../../../scheduler/core/registry.ts';
import { ClusterState } from '../../../../scheduler/core/state.ts';
import { batch, node } from '../../../helpers/core.ts';

// ---- as in the README ----
export interface BatchZoneDenyArgs {
  /** Zones (topology.kubernetes.io/zone) that take no batch pods. */
  zones: string[];
}

export const BatchZoneDeny: FilterDefinition<BatchZoneDenyArgs> = {
  kind: 'filter',
  name: 'BatchZoneDeny',
  description: 'batch pods stay out of the listed zones',
  defaults: { zones: [] },
  fields: ['zones'],
  validate(args): ArgsIssue[] {
    const z = (args as { zones?: unknown }).zones;
    return z === undefined || (Array.isArray(z) && z.every((x) => typeof x === 'string')) ? [] : [{ path: ['zones'], message: 'must be a list of zone names' }];
  },
  create({ zones }) {
    const denied = new Set(zones);
    return {
      name: 'BatchZoneDeny',
      signature: () => '', // reads nothing of the pod but its class (always in the key) and the row
      appliesTo: (ctx) => ctx.pod.class === 'batch' && denied.size > 0,
      filter(ctx, i) {
        const zone = ctx.state.zoneNames[ctx.t.zone[i]!];
        if (zone === undefined || !denied.has(zone)) return null;
        return failWith(ctx, 'BatchZoneDeny', zone, true, () => `zone ${zone} takes no batch pods`);
      },
    };
  },
};
// ---- end ----

describe('the README worked example', () => {
  const NOW = Date.parse('2026-11-10T12:00:00Z');
  const setup = (zones: unknown) => {
    const state = new ClusterState(TIME_SHARING.usage);
    state.upsertNode(node('a', { zone: 'z1' }), NOW);
    state.upsertNode(node('b', { zone: 'z2' }), NOW);
    const config = { ...TIME_SHARING, filters: [...DEFAULT_FILTERS, 'BatchZoneDeny'], pluginArgs: { ...TIME_SHARING.pluginArgs, BatchZoneDeny: zones } };
    return { state, engine: new PolicyEngine({ config, state, profile: constantProfile({ batchShare: 1, onlineHeadroom: 0 }), definitions: [BatchZoneDeny] }) };
  };

  it('refuses batch in a denied zone, with its reason, through filter and place', () => {
    const { engine } = setup({ zones: ['z1'] });
    const p = batch({ requests: { cpu: 1000, memory: 1 << 30 } });
    const out = engine.filter(engine.context(p, NOW), null);
    expect(out.feasible.map((n) => n.name)).toEqual(['b']);
    expect(out.unresolvable.get('a')).toBe('tidal/BatchZoneDeny: zone z1 takes no batch pods');
    const r = engine.place(p, NOW);
    expect(r.node?.name).toBe('b');
    expect(r.rejectedBy.get('BatchZoneDeny')).toBe(1);
  });

  it('an engine refuses bad args, naming the plugin and the field', () => {
    expect(() => setup({ zones: 'z1' })).toThrow('args of BatchZoneDeny: zones: must be a list of zone names');
    expect(() => setup({ zone: ['z1'] })).toThrow('args of BatchZoneDeny: zone: unknown field; allowed: zones');
  });
});
