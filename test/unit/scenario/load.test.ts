// Bad scenario files: every problem is reported at once, each with file:line:column and field.

import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile, parseScenario, ScenarioError } from '../../../simulator/scenario/load.ts';

const HEAD = 'apiVersion: tidal.io/v1alpha1\nkind: DemandScenario\nmetadata: {name: peak}\n';

function errors(text: string): string[] {
  try {
    parseScenario(text, 'bad.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as Error).message.split('\n');
  }
  throw new Error('expected the scenario to be refused');
}

describe('scenario loader', () => {
  it('reads a complete file', () => {
    const s = parseScenario(`${HEAD}spec:
  timeZone: Asia/Shanghai
  demand:
    - {name: p, select: {all: true}, start: "2026-11-10T23:00", end: "2026-11-11T03:00", rampUp: 1h, cpu: 3}
  scaleOut:
    - {select: {namespaces: [shop]}, lag: 5m}
  nodes:
    - {name: big, cpu: "64", memory: 256Gi, max: 4}
`);
    expect(s.demand[0]).toMatchObject({ start: Date.parse('2026-11-10T23:00+08:00'), end: Date.parse('2026-11-11T03:00+08:00'), rampUpMs: 3_600_000, rampDownMs: 0, cpu: 3, memory: 1 });
    expect(s.scaleOut[0]).toMatchObject({ lagMs: 300_000, maxFactor: Infinity, select: { all: false, namespaces: ['shop'] } });
    expect(s.nodes[0]).toMatchObject({ name: 'big', count: 0, max: 4, readyBy: null, spec: { allocatable: { cpu: 64_000, memory: 256 * 2 ** 30 }, maxPods: 110 } });
    expect(s.stepMs).toBe(300_000);
  });

  it('names line, column and field of each problem', () => {
    const lines = errors(`${HEAD}spec:
  timeZone: Mars/Olympus
  demand:
    - name: p
      select: {}
      start: "2026-11-11T03:00"
      end: "2026-11-11T01:00"
      cpu: -2
      rampup: 1h
  batch:
    - {name: r, from: "2026-11-10T10:00", jobs: 0, cpu: lots, memory: 1Gi, runtime: 2h}
  nodes:
    - {name: big, cpu: "64", memory: 256Gi, count: 5, max: 2}
`);
    expect(lines).toEqual([
      'bad.yaml:5:13: spec.timeZone: must be an IANA time zone such as Asia/Shanghai (got "Mars/Olympus")',
      'bad.yaml:12:7: spec.demand[0].rampup: unknown field (did you mean rampUp?)',
      'bad.yaml:8:15: spec.demand[0].select: select nothing? give all: true, apps, namespaces or labels',
      'bad.yaml:11:12: spec.demand[0].cpu: must be a positive number (got -2)',
      'bad.yaml:10:12: spec.demand[0].end: must be after start',
      'bad.yaml:14:49: spec.batch[0].jobs: must be a whole number >= 1 (got 0)',
      'bad.yaml:14:57: spec.batch[0].cpu: "lots" is not a Kubernetes quantity (examples: 500m, 2, 1.5Gi, 256Mi)',
      'bad.yaml:16:52: spec.nodes[0].count: must not exceed max (2)',
    ]);
  });

  it('refuses a deadline no job can meet, a bad selector and YAML syntax', () => {
    expect(errors(`${HEAD}spec:
  batch:
    - {name: r, from: "2026-11-10T10:00", to: "2026-11-10T12:00", jobs: 2, cpu: 1, memory: 1Gi, runtime: 2h, deadline: "2026-11-10T12:30"}
`)).toEqual(['bad.yaml:6:120: spec.batch[0].deadline: the last job arrives too late to finish by its deadline even if it started at once']);
    expect(errors(`${HEAD}spec:
  demand:
    - name: p
      select: {all: true, apps: [web], labels: {matchExpressions: [{key: tier, operator: Near}]}}
      start: "2026-11-10T10:00"
      end: "2026-11-10T12:00"
      cpu: 2
`)).toEqual([
      'bad.yaml:7:90: spec.demand[0].select.labels.matchExpressions[0].operator: must be one of In, NotIn, Exists, DoesNotExist',
      'bad.yaml:7:21: spec.demand[0].select.all: all: true selects every online app; drop it or drop apps/namespaces/labels',
    ]);
    expect(errors(`${HEAD}spec:\n  demand: [\n`)[0]).toMatch(/^bad\.yaml:\d+:\d+: YAML: /);
    expect(errors('apiVersion: v1\nkind: Profile\nspec: {}\n')).toEqual([
      'bad.yaml:1:13: apiVersion: must be tidal.io/v1alpha1',
      'bad.yaml:2:7: kind: must be DemandScenario',
      'bad.yaml:1:1: metadata.name: required: a lowercase DNS-1123 name such as double11',
    ]);
  });

  it('names a file it cannot read', () => {
    const d = mkdtempSync(join(tmpdir(), 'tidal-scenario-'));
    expect(() => loadScenarioFile(join(d, 'missing.yaml'))).toThrow(/missing\.yaml:0:0: cannot read/);
    writeFileSync(join(d, 'ok.yaml'), `${HEAD}spec: {}\n`);
    expect(loadScenarioFile(join(d, 'ok.yaml')).source).toBe(join(d, 'ok.yaml'));
  });
});
