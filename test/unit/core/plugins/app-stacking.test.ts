// AppStackingLimit by hand: with maxPodsPerAppPerNode 2, a node holding 2 pods of app web refuses a
// third web pod (unresolvably: Tidal never evicts online pods), a node holding 1 takes it, and other
// apps are not counted against web.

import { describe, expect, it } from 'vitest';
import { AppStackingLimit, validateAppStackingArgs } from '../../../../scheduler/core/plugins/app-stacking.ts';
import { argsIssues } from '../../../../scheduler/core/registry.ts';
import { batch, node, pod } from '../../../helpers/core.ts';
import { buildFilter, verdictOn, world } from '../../../helpers/plugins.ts';

const small = { cpu: 100, memory: 1 << 20 };

describe('AppStackingLimit', () => {
  const w = world({
    nodes: [node('two'), node('one')],
    pods: [pod({ nodeName: 'two', app: 'web', requests: small }), pod({ nodeName: 'two', app: 'web', requests: small }), pod({ nodeName: 'one', app: 'web', requests: small }), pod({ nodeName: 'one', app: 'shop', requests: small }), pod({ nodeName: 'one', app: 'shop', requests: small })],
  });

  it('refuses the (max+1)th pod of an app on a node, and only that app', () => {
    const f = buildFilter(AppStackingLimit, w, { maxPodsPerAppPerNode: 2 });
    const web = w.ctx(pod({ app: 'web', requests: small }));
    expect(verdictOn(f, w, web, 'one')).toBeNull();
    expect(verdictOn(f, w, web, 'two')).toMatchObject({ plugin: 'AppStackingLimit', message: 'tidal/AppStackingLimit: app web is at its limit of 2 pod(s) per node', unresolvable: true });
    // shop has 2 on "one": the limit holds per app.
    expect(verdictOn(f, w, w.ctx(pod({ app: 'shop', requests: small })), 'one')).toMatchObject({ reason: 'app shop is at its limit of 2 pod(s) per node' });
    expect(verdictOn(f, w, w.ctx(pod({ app: 'shop', requests: small })), 'two')).toBeNull();
    // A limit of 3 lets web onto both.
    const three = buildFilter(AppStackingLimit, w, { maxPodsPerAppPerNode: 3 });
    expect(verdictOn(three, w, web, 'two')).toBeNull();
  });

  it('is off at 0 (the default) and for batch and system pods; signs the app', () => {
    expect(AppStackingLimit.defaults).toEqual({ maxPodsPerAppPerNode: 0 });
    expect(verdictOn(buildFilter(AppStackingLimit, w), w, w.ctx(pod({ app: 'web' })), 'two')).toBe('n/a');
    const f = buildFilter(AppStackingLimit, w, { maxPodsPerAppPerNode: 1 });
    expect(verdictOn(f, w, w.ctx(batch({ app: 'web' })), 'two')).toBe('n/a');
    expect(verdictOn(f, w, w.ctx(pod({ class: 'system', app: 'web' })), 'two')).toBe('n/a');
    expect(f.signature!(w.ctx(pod({ app: 'web' })))).toBe('web');
  });

  it('validates its args: a non-negative integer, in a mapping, and no other field', () => {
    expect(argsIssues(AppStackingLimit, { maxPodsPerAppPerNode: 3 })).toEqual([]);
    expect(argsIssues(AppStackingLimit, { maxPodsPerAppPerNode: 0 })).toEqual([]);
    expect(argsIssues(AppStackingLimit, {})).toEqual([]);
    for (const bad of [-1, 1.5, '2', null]) {
      expect(argsIssues(AppStackingLimit, { maxPodsPerAppPerNode: bad })).toEqual([{ path: ['maxPodsPerAppPerNode'], message: `must be a non-negative integer (0: no limit) (got ${JSON.stringify(bad)})` }]);
    }
    expect(argsIssues(AppStackingLimit, { max: 2 })).toEqual([{ path: ['max'], message: 'unknown field; allowed: maxPodsPerAppPerNode' }]);
    for (const bad of [null, 2, [2]]) expect(validateAppStackingArgs(bad)).toEqual([{ path: [], message: 'must be a mapping with maxPodsPerAppPerNode' }]);
  });
});
