// What the peers' filters admit at most (FilterPlugin.bound), by hand, on 16-core, 64 GiB nodes: on
// each row the filter refuses a pod asking a milli-core (or a byte) more than the bound and admits one
// asking exactly the bound; -Infinity marks a row refusing every pod of the class, null a class the
// filter does not bound.

import { describe, expect, it } from 'vitest';
import type { FilterPlugin } from '../../../scheduler/core/framework.ts';
import type { WorkloadClass } from '../../../scheduler/core/model.ts';
import { CraneDynamicFilter, CraneElasticFit, ELASTIC_KEYS, LOAD_KEYS } from '../../../simulator/peers/crane/plugin.ts';
import { KatalystReclaimedFit, LAST_HEADROOM_KEY } from '../../../simulator/peers/katalyst-reclaimed/plugin.ts';
import { TaintToleration } from '../../../simulator/peers/taint-toleration.ts';
import { parseDailyWindow, REVOCABLE_ZONE_LABEL } from '../../../simulator/peers/volcano-tdm/formula.ts';
import { OVERSUBSCRIPTION_KEYS, VolcanoOversubscriptionFit, VolcanoTdm } from '../../../simulator/peers/volcano-tdm/plugin.ts';
import { batch, GiB, node, pod } from '../../helpers/core.ts';
import { askOn, boundOn, buildFilter, expectRefusesWholeNode, NOW, REFUSES_ALL, UNBOUNDED, world, type World } from '../../helpers/plugins.ts';

const ask = (f: FilterPlugin, w: World, name: string, cls: WorkloadClass, cpu: number, memory: number, now = NOW) => askOn(f, w, name, cls, cpu, memory, {}, now);

describe('VolcanoTDM bound', () => {
  // Zone rz1 opens 00:00-08:00 UTC; NOW is 12:00 UTC (closed), OPEN 03:00 UTC.
  const OPEN = Date.parse('2026-11-10T03:00:00Z');
  const w = world({ nodes: [node('zoned', { labels: { [REVOCABLE_ZONE_LABEL]: 'rz1' } }), node('plain')] });
  const args = { windows: new Map([['rz1', parseDailyWindow('00:00-08:00')]]), timeZone: 'UTC', strict: false, closed: [] };
  const f = buildFilter(VolcanoTdm, w, args);

  it('refuses every batch pod outside every zone and in a closed zone, bounds nothing in an open one', () => {
    expect(boundOn(f, w, 'batch', 'plain', OPEN)).toEqual(REFUSES_ALL);
    expect(ask(f, w, 'plain', 'batch', 0, 0, OPEN)).not.toBeNull();
    expect(boundOn(f, w, 'batch', 'zoned', NOW)).toEqual(REFUSES_ALL);
    expect(ask(f, w, 'zoned', 'batch', 0, 0, NOW)).not.toBeNull();
    expect(boundOn(f, w, 'batch', 'zoned', OPEN)).toEqual(UNBOUNDED);
    expect(ask(f, w, 'zoned', 'batch', 16_000, 64 * GiB, OPEN)).toBeNull();
  });

  it('bounds online pods only when strict (off the zone), system pods never', () => {
    expect(boundOn(f, w, 'online', 'zoned')).toBeNull();
    expect(boundOn(f, w, 'system', 'zoned')).toBeNull();
    const strict = buildFilter(VolcanoTdm, w, { ...args, strict: true });
    expect(boundOn(strict, w, 'online', 'zoned')).toEqual(REFUSES_ALL);
    expect(ask(strict, w, 'zoned', 'online', 0, 0)).not.toBeNull();
    expect(boundOn(strict, w, 'online', 'plain')).toEqual(UNBOUNDED);
    expect(ask(strict, w, 'plain', 'online', 1000, GiB)).toBeNull();
  });
});

describe('VolcanoOversubscription bound', () => {
  // Published 6 cores, 20 GiB; a batch pod holds 2 cores, 4 GiB: 4 cores, 16 GiB left. n0 has published nothing.
  const w = world({
    nodes: [node('n1', { labels: { [OVERSUBSCRIPTION_KEYS.cpu]: '6000', [OVERSUBSCRIPTION_KEYS.memory]: String(20 * GiB) } }), node('n0')],
    pods: [batch({ nodeName: 'n1', requests: { cpu: 2000, memory: 4 * GiB } })],
  });
  const f = buildFilter(VolcanoOversubscriptionFit, w);

  it('is the published oversubscription less batch requests, for batch only', () => {
    expect(boundOn(f, w, 'batch', 'n1')).toEqual({ cpu: 4000, memory: 16 * GiB });
    expect(ask(f, w, 'n1', 'batch', 4000, 16 * GiB)).toBeNull();
    expect(ask(f, w, 'n1', 'batch', 4001, GiB)).not.toBeNull();
    expect(ask(f, w, 'n1', 'batch', 1000, 16 * GiB + 1)).not.toBeNull();
    expect(boundOn(f, w, 'batch', 'n0')).toEqual({ cpu: 0, memory: 0 });
    expect(ask(f, w, 'n0', 'batch', 1, 0)).not.toBeNull();
    expect(boundOn(f, w, 'online', 'n1')).toBeNull();
  });
});

describe('TaintToleration bound', () => {
  const w = world({
    nodes: [node('tainted', { taints: [{ key: 'volcano.sh/offline-job-evicting', value: '', effect: 'NoSchedule' }] }), node('soft', { taints: [{ key: 'k', value: 'v', effect: 'PreferNoSchedule' }] })],
  });
  const f = buildFilter(TaintToleration, w);

  it('refuses every online and batch pod under a NoSchedule taint, bounds nothing under PreferNoSchedule only', () => {
    expectRefusesWholeNode(f, w, 'tainted', 'soft');
  });
});

describe('Crane bounds', () => {
  it('CraneElasticFit: the published elastic resource less batch requests (10 cores, 30 GiB less 3 cores, 6 GiB)', () => {
    const w = world({
      nodes: [node('n1', { labels: { [ELASTIC_KEYS.cpu]: '10000', [ELASTIC_KEYS.memory]: String(30 * GiB) } })],
      pods: [batch({ nodeName: 'n1', requests: { cpu: 3000, memory: 6 * GiB } })],
    });
    const f = buildFilter(CraneElasticFit, w);
    expect(boundOn(f, w, 'batch', 'n1')).toEqual({ cpu: 7000, memory: 24 * GiB });
    expect(ask(f, w, 'n1', 'batch', 7000, 24 * GiB)).toBeNull();
    expect(ask(f, w, 'n1', 'batch', 7001, GiB)).not.toBeNull();
    expect(ask(f, w, 'n1', 'batch', 1000, 24 * GiB + 1)).not.toBeNull();
    expect(boundOn(f, w, 'online', 'n1')).toBeNull();
  });

  it('CraneDynamic: refuses every online and batch pod on a node over a threshold (5-minute CPU 0.7 > 0.65)', () => {
    const w = world({ nodes: [node('hot', { labels: { [LOAD_KEYS.cpu.avg5m]: '0.7' } }), node('cool', { labels: { [LOAD_KEYS.cpu.avg5m]: '0.6' } })] });
    expectRefusesWholeNode(buildFilter(CraneDynamicFilter, w), w, 'hot', 'cool');
  });
});

describe('KatalystReclaimedFit bound', () => {
  // Online 4 cores, 8 GiB (no usage sample: predicted at requests), batch 2 cores, 2 GiB. CPU: supply
  // 16000 - 4000 reserve - 4000 = 8000, headroom min(max(6000 last, 8000), 1.2 x 8000, 16000) = 8000,
  // less 2000 batch = 6000. Memory: 64 - 5 reserve - 8 = 51 GiB, less 2 = 49 GiB.
  const tenants = (n: string) => [pod({ nodeName: n, requests: { cpu: 4000, memory: 8 * GiB } }), batch({ nodeName: n, requests: { cpu: 2000, memory: 2 * GiB } })];
  const w = world({ nodes: [node('n1', { labels: { [LAST_HEADROOM_KEY]: '6000' } }), node('n0')], pods: [...tenants('n1'), ...tenants('n0')] });
  const f = buildFilter(KatalystReclaimedFit, w);

  it('is the reclaimed resource less batch requests, for batch only', () => {
    expect(boundOn(f, w, 'batch', 'n1')).toEqual({ cpu: 6000, memory: 49 * GiB });
    expect(ask(f, w, 'n1', 'batch', 6000, 49 * GiB)).toBeNull();
    expect(ask(f, w, 'n1', 'batch', 6001, GiB)).not.toBeNull();
    expect(ask(f, w, 'n1', 'batch', 1000, 49 * GiB + 1)).not.toBeNull();
    expect(boundOn(f, w, 'online', 'n1')).toBeNull();
  });

  it('offers no CPU before the agent first reports (no headroom label)', () => {
    expect(boundOn(f, w, 'batch', 'n0')).toEqual({ cpu: 0, memory: 49 * GiB });
    expect(ask(f, w, 'n0', 'batch', 0, GiB)).toBeNull();
    expect(ask(f, w, 'n0', 'batch', 1, GiB)).not.toBeNull();
  });
});
