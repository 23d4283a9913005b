import { describe, expect, it } from 'vitest';
import { classifyPod, DEFAULT_CLASSIFICATION } from '../../../scheduler/core/classify.ts';

describe('classification', () => {
  it('defaults to online', () => {
    expect(classifyPod({ namespace: 'shop', priority: 0 })).toEqual({ class: 'online', rule: 'default' });
  });
  it('follows the documented order: label, annotation, PriorityClass, owner, priority range, namespace', () => {
    const labelled = { namespace: 'kube-system', labels: { 'tidal.io/class': 'batch' }, annotations: { 'tidal.io/class': 'online' }, priorityClassName: 'koord-prod' };
    expect(classifyPod(labelled).class).toBe('batch');
    expect(classifyPod({ ...labelled, labels: {} }).class).toBe('online');
    expect(classifyPod({ namespace: 'x', priorityClassName: 'koord-batch', priority: 0 }).class).toBe('batch');
    expect(classifyPod({ namespace: 'x', ownerKind: 'DaemonSet', priority: 5000 }).class).toBe('system');
    expect(classifyPod({ namespace: 'x', isMirror: true }).class).toBe('system');
    expect(classifyPod({ namespace: 'x', priority: 5500 }).class).toBe('batch');
    expect(classifyPod({ namespace: 'x', priority: 2_000_000_000 }).class).toBe('system');
    expect(classifyPod({ namespace: 'kube-system', priority: 0 }).class).toBe('system');
  });
  it('ignores label values that are not a class', () => {
    expect(classifyPod({ namespace: 'x', labels: { 'tidal.io/class': 'gold' }, priority: 4000 }).class).toBe('batch');
  });
  it('is configurable', () => {
    const cfg = { ...DEFAULT_CLASSIFICATION, label: 'workload', defaultClass: 'batch' as const, systemNamespaces: [] };
    expect(classifyPod({ namespace: 'kube-system', labels: { workload: 'online' } }, cfg).class).toBe('online');
    expect(classifyPod({ namespace: 'kube-system' }, cfg).class).toBe('batch');
  });
});

describe('classification of pods on Tidal batch resources', () => {
  it('makes a pod that requests tidal.io batch resources batch unless its label says otherwise', () => {
    expect(classifyPod({ namespace: 'x', priority: 0, requestsBatchResources: true })).toEqual({ class: 'batch', rule: 'requests tidal.io batch resources' });
    expect(classifyPod({ namespace: 'x', labels: { 'tidal.io/class': 'online' }, requestsBatchResources: true }).class).toBe('online');
  });
});
