import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { register, schedulerConfigYaml, validateSchedulerConfig, type SchedulerConfigOptions } from '../../../scheduler/cli/config-scheduler.ts';

const base: SchedulerConfigOptions = {
  urlPrefix: 'http://tidal-extender.kube-system.svc:8888/scheduler',
  weight: 5,
  nodeCacheCapable: true,
  httpTimeout: '2s',
  ignorable: false,
  https: false,
  preempt: true,
  ignoreBatchResources: true,
  schedulerName: 'default-scheduler',
  full: false,
  kubeconfig: '/etc/kubernetes/scheduler.conf',
  leaderElect: true,
};

async function cli(args: string[]): Promise<string> {
  const program = new Command('tidal').exitOverride();
  register(program);
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out.push(String(s));
    return true;
  });
  try {
    await program.parseAsync(['node', 'tidal', 'config', 'scheduler', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out.join('');
}

describe('tidal config scheduler', () => {
  it('prints the extenders block and NodeResourcesFit args by default, valid by the protocol rules', async () => {
    const text = await cli([]);
    const doc = parse(text);
    expect(validateSchedulerConfig(doc, false)).toEqual([]);
    expect(doc.extenders).toEqual([
      {
        urlPrefix: 'http://tidal-extender.kube-system.svc:8888/scheduler',
        filterVerb: 'filter',
        prioritizeVerb: 'prioritize',
        preemptVerb: 'preempt',
        bindVerb: 'bind',
        weight: 5,
        nodeCacheCapable: true,
        httpTimeout: '2s',
        ignorable: false,
      },
    ]);
    expect(doc.profiles).toEqual([{ schedulerName: 'default-scheduler', pluginConfig: [{ name: 'NodeResourcesFit', args: { ignoredResourceGroups: ['tidal.io'] } }] }]);
    expect(doc.extenders[0].managedResources).toBeUndefined();
    expect(parse(await cli(['--no-bind'])).extenders[0].bindVerb).toBeUndefined();
    // The two choices users ask about are explained in the file itself.
    expect(text).toMatch(/# NodeResourcesFit ignores the tidal\.io resource group/);
    expect(text).toMatch(/# managedResources is deliberately not set/);
  });

  it('prints a complete KubeSchedulerConfiguration with --full', async () => {
    const doc = parse(await cli(['--full', '--kubeconfig', '/etc/k/sched.conf', '--https', '--ca-file', '/etc/tidal/ca.crt', '--no-node-cache-capable', '--weight', '3', '--http-timeout', '1500ms', '--ignorable', '--no-preempt']));
    expect(validateSchedulerConfig(doc, true)).toEqual([]);
    expect(doc).toMatchObject({
      apiVersion: 'kubescheduler.config.k8s.io/v1',
      kind: 'KubeSchedulerConfiguration',
      clientConnection: { kubeconfig: '/etc/k/sched.conf' },
      leaderElection: { leaderElect: true, resourceNamespace: 'kube-system', resourceName: 'kube-scheduler' },
    });
    expect(doc.extenders[0]).toEqual({
      urlPrefix: 'https://tidal-extender.kube-system.svc:8888/scheduler',
      filterVerb: 'filter',
      prioritizeVerb: 'prioritize',
      bindVerb: 'bind',
      weight: 3,
      nodeCacheCapable: false,
      httpTimeout: '1500ms',
      ignorable: true,
      enableHTTPS: true,
      tlsConfig: { caFile: '/etc/tidal/ca.crt' },
    });
  });

  it('varies with the flags and stays valid', () => {
    for (const o of [
      { ...base, ignoreBatchResources: false },
      { ...base, full: true, ignoreBatchResources: false, leaderElect: false },
      { ...base, full: true, schedulerName: 'tidal-scheduler' },
      { ...base, https: true, urlPrefix: 'https://10.0.0.5:8443/x' },
    ]) {
      const doc = parse(schedulerConfigYaml(o));
      expect(validateSchedulerConfig(doc, o.full)).toEqual([]);
    }
    expect(parse(schedulerConfigYaml({ ...base, ignoreBatchResources: false })).profiles).toBeUndefined();
    expect(parse(schedulerConfigYaml({ ...base, full: true, schedulerName: 'tidal-scheduler' })).leaderElection.resourceName).toBe('tidal-scheduler');
    expect(parse(schedulerConfigYaml({ ...base, full: true, leaderElect: false })).leaderElection).toEqual({ leaderElect: false });
    expect(schedulerConfigYaml({ ...base, https: true, urlPrefix: 'https://h/s' })).toMatch(/No caFile: kube-scheduler will NOT verify/);
  });

  it('refuses options kube-scheduler would refuse', () => {
    expect(() => schedulerConfigYaml({ ...base, weight: 0 })).toThrow(/--weight must be a positive integer/);
    expect(() => schedulerConfigYaml({ ...base, weight: 2.5 })).toThrow(/--weight/);
    expect(() => schedulerConfigYaml({ ...base, httpTimeout: '2 seconds' })).toThrow(/--http-timeout must be a Go duration/);
    expect(() => schedulerConfigYaml({ ...base, urlPrefix: 'tidal:8888' })).toThrow(/--url-prefix must be http or https/);
    expect(() => schedulerConfigYaml({ ...base, urlPrefix: '/scheduler' })).toThrow(/absolute URL/);
    expect(() => schedulerConfigYaml({ ...base, caFile: '/ca' })).toThrow(/--ca-file needs --https/);
    expect(() => schedulerConfigYaml({ ...base, https: true })).toThrow(/--https needs an https:\/\/ --url-prefix/);
  });

  it('validates by the protocol rules', () => {
    const ext = { urlPrefix: 'http://x/s', filterVerb: 'filter', prioritizeVerb: 'prioritize' };
    expect(validateSchedulerConfig({ extenders: [{ ...ext, weight: 0 }] }, false)).toEqual(['extenders[0].weight must be a positive integer when prioritizeVerb is set']);
    expect(validateSchedulerConfig({ extenders: [{ ...ext, weight: 1, bindVerb: 'bind' }, { ...ext, weight: 1, bindVerb: 'bind' }] }, false)).toEqual(['at most one extender may have a bindVerb']);
    expect(validateSchedulerConfig({ extenders: [{ ...ext, weight: 1, managedResources: [{ name: 'cpu' }] }] }, false)).toEqual([
      'extenders[0].managedResources[0].name must be an extended resource name such as example.com/foo',
    ]);
    expect(
      validateSchedulerConfig({ extenders: [{ ...ext, weight: 1, managedResources: [{ name: 'example.com/foo' }] }, { ...ext, weight: 1, managedResources: [{ name: 'example.com/foo' }] }] }, false),
    ).toEqual(['extenders[1].managedResources[0].name example.com/foo is managed by another extender too']);
    expect(validateSchedulerConfig({ extenders: [{ ...ext, weight: 1, nodecachecapable: true }] }, false)).toEqual(['extenders[0].nodecachecapable: unknown field']);
    expect(validateSchedulerConfig({ extenders: [{ ...ext, weight: 1, httpTimeout: 2 }] }, false)).toEqual(['extenders[0].httpTimeout must be a Go duration']);
    expect(
      validateSchedulerConfig({ extenders: [{ ...ext, weight: 1 }], profiles: [{ schedulerName: 's', pluginConfig: [{ name: 'NodeResourcesFit', args: { ignoredResourceGroups: ['tidal.io/batch-cpu'] } }] }] }, false),
    ).toEqual(['profiles[0].pluginConfig[0].args.ignoredResourceGroups must be group names without "/"']);
    expect(validateSchedulerConfig({ extenders: [] }, true)).toEqual(['apiVersion must be kubescheduler.config.k8s.io/v1', 'kind must be KubeSchedulerConfiguration', 'extenders must be a non-empty list']);
  });
});
