import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
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
    // The shipped deploy: Service tidal-extender in tidal-system, HTTPS on 8443, mTLS.
    const transport = {
      urlPrefix: 'https://tidal-extender.tidal-system.svc:8443/scheduler',
      nodeCacheCapable: true,
      httpTimeout: '2s',
      enableHTTPS: true,
      tlsConfig: { caFile: '/etc/kubernetes/tidal/ca.crt', certFile: '/etc/kubernetes/tidal/client.crt', keyFile: '/etc/kubernetes/tidal/client.key' },
    };
    // In place (the default): the batch gate (batch pods only, not ignorable), then every pod (ignorable).
    expect(doc.extenders).toEqual([
      {
        ...transport,
        filterVerb: 'filter',
        managedResources: [
          { name: 'tidal.io/batch-cpu', ignoredByScheduler: true },
          { name: 'tidal.io/batch-memory', ignoredByScheduler: true },
        ],
        ignorable: false,
      },
      {
        ...transport,
        filterVerb: 'filter',
        prioritizeVerb: 'prioritize',
        preemptVerb: 'preempt',
        bindVerb: 'bind',
        weight: 5,
        ignorable: true,
      },
    ]);
    expect(doc.profiles).toEqual([{ schedulerName: 'default-scheduler', pluginConfig: [{ name: 'NodeResourcesFit', args: { ignoredResourceGroups: ['tidal.io'] } }] }]);
    expect(parse(await cli(['--no-bind'])).extenders[1].bindVerb).toBeUndefined();
    // The two choices users ask about are explained in the file itself.
    expect(text).toMatch(/# NodeResourcesFit ignores the tidal\.io resource group/);
    expect(text).toMatch(/# The extender, listed twice/);
    expect(text).toMatch(/the bootstrap deadlock of a single non-ignorable extender cannot happen/);
  });

  it('--gate all is one non-ignorable extender for every pod (no managedResources), --gate none (--ignorable) one ignorable', async () => {
    const all = parse(await cli(['--gate', 'all']));
    expect(all.extenders).toHaveLength(1);
    expect(all.extenders[0]).toMatchObject({ filterVerb: 'filter', prioritizeVerb: 'prioritize', preemptVerb: 'preempt', bindVerb: 'bind', weight: 5, ignorable: false });
    expect(all.extenders[0].managedResources).toBeUndefined();
    expect(await cli(['--gate', 'all'])).toMatch(/# managedResources is deliberately not set/);
    for (const args of [['--gate', 'none'], ['--ignorable']]) {
      const none = parse(await cli(args));
      expect(none.extenders).toHaveLength(1);
      expect(none.extenders[0].ignorable).toBe(true);
    }
    await expect(cli(['--gate', 'batch', '--ignorable'])).rejects.toThrow(/--ignorable is --gate none; it contradicts --gate batch/);
    await expect(cli(['--gate', 'some'])).rejects.toThrow(/--gate must be one of batch, all, none \(got some\)/);
    await expect(cli(['--mode', 'sidecar'])).rejects.toThrow(/--mode must be one of in-place, second-scheduler \(got sidecar\)/);
  });

  it('--mode second-scheduler prints the tidal-scheduler configuration shipped in deploy/second-scheduler and the chart', async () => {
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const text = await cli(['--mode', 'second-scheduler']);
    expect(text, 'regenerate deploy/second-scheduler/scheduler-config.yaml (deploy/README.md)').toBe(readFileSync(join(root, 'deploy/second-scheduler/scheduler-config.yaml'), 'utf8'));
    expect(text, 'copy deploy/second-scheduler/scheduler-config.yaml to charts/tidal/files/').toBe(readFileSync(join(root, 'charts/tidal/files/second-scheduler-config.yaml'), 'utf8'));
    const doc = parse(text);
    expect(validateSchedulerConfig(doc, true)).toEqual([]);
    expect(doc.clientConnection).toEqual({ kubeconfig: '' });
    expect(doc.leaderElection).toEqual({ leaderElect: true, resourceNamespace: 'tidal-system', resourceName: 'tidal-scheduler' });
    expect(doc.profiles.map((p: { schedulerName: string }) => p.schedulerName)).toEqual(['tidal-scheduler']);
    expect(doc.extenders).toHaveLength(1);
    expect(doc.extenders[0]).toMatchObject({ urlPrefix: 'https://tidal-extender.tidal-system.svc:8443/scheduler', bindVerb: 'bind', ignorable: false, enableHTTPS: true });
    expect(doc.extenders[0].managedResources).toBeUndefined();
    // Flags still apply (the e2e tier runs it against a loopback extender).
    const local = parse(await cli(['--mode', 'second-scheduler', '--kubeconfig', '/k', '--url-prefix', 'http://127.0.0.1:1/scheduler', '--no-leader-elect']));
    expect(local.clientConnection.kubeconfig).toBe('/k');
    expect(local.leaderElection).toEqual({ leaderElect: false });
    await expect(cli(['--mode', 'second-scheduler', '--scheduler-name', 'default-scheduler'])).rejects.toThrow(/needs a --scheduler-name other than default-scheduler/);
  });

  it('with no flags matches the shipped deploy (its Service, port, TLS Secret keys and the kube-scheduler file)', async () => {
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    expect(await cli(['--full'])).toBe(readFileSync(join(root, 'deploy/kube-scheduler/scheduler-config.yaml'), 'utf8'));
    const objects = parseAllDocuments(readFileSync(join(root, 'deploy/base/extender.yaml'), 'utf8')).map((d) => d.toJS());
    const svc = objects.find((o) => o.kind === 'Service');
    const dep = objects.find((o) => o.kind === 'Deployment');
    const ns = parse(readFileSync(join(root, 'deploy/base/namespace.yaml'), 'utf8')).metadata.name;
    const url = new URL(parse(await cli([])).extenders[0].urlPrefix);
    expect(url.protocol).toBe('https:');
    expect(url.hostname).toBe(`${svc.metadata.name}.${ns}.svc`);
    expect(Number(url.port)).toBe(svc.spec.ports[0].port);
    // The extender verifies client certificates (mTLS) against the CA kube-scheduler is told about.
    const args: string[] = dep.spec.template.spec.containers[0].args;
    expect(args).toContain('--client-ca-file=/etc/tidal/tls/ca.crt');
  });

  it('HTTPS follows the URL; --no-client-cert and --no-ca-file drop the defaults; plain http has neither', async () => {
    const http = parse(await cli(['--url-prefix', 'http://127.0.0.1:8888/scheduler'])).extenders[0];
    expect(http.enableHTTPS).toBeUndefined();
    expect(http.tlsConfig).toBeUndefined();
    const noClient = parse(await cli(['--no-client-cert'])).extenders[0];
    expect(noClient.tlsConfig).toEqual({ caFile: '/etc/kubernetes/tidal/ca.crt' });
    expect(parse(await cli(['--no-ca-file', '--no-client-cert'])).extenders[0].tlsConfig).toBeUndefined();
    const own = parse(await cli(['--ca-file', '/x/ca', '--client-cert-file', '/x/c', '--client-key-file', '/x/k'])).extenders[0];
    expect(own.tlsConfig).toEqual({ caFile: '/x/ca', certFile: '/x/c', keyFile: '/x/k' });
    await expect(cli(['--no-client-cert', '--client-cert-file', '/x/c', '--client-key-file', '/x/k'])).rejects.toThrow(/--no-client-cert contradicts/);
  });

  it('prints a complete KubeSchedulerConfiguration with --full', async () => {
    const doc = parse(await cli(['--full', '--kubeconfig', '/etc/k/sched.conf', '--url-prefix', 'https://tidal-extender.kube-system.svc:8888/scheduler', '--ca-file', '/etc/tidal/ca.crt', '--no-client-cert', '--no-node-cache-capable', '--weight', '3', '--http-timeout', '1500ms', '--ignorable', '--no-preempt']));
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
