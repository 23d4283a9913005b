// A real Kubernetes control plane on loopback for end-to-end tests: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and kwok (fake nodes), each a separate process in
// its own process group, with certificates made by openssl and all state in one temp folder.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, KubeConfig, type V1Node, type V1Taint } from '@kubernetes/client-node';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { type Binary, binDir as defaultBinDir, binaryPath, missingBinaries } from './binaries.ts';
import { makePki, type Pki, writeKubeconfig } from './certs.ts';
import { KWOK_STAGES_YAML } from './kwok-stages.ts';
import { httpGet, type ManagedProcess, readTls, startProcess, type TlsOptions, tailFile, waitHealthy } from './process.ts';

export type Component = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok';

export interface FakeNodeSpec {
  name: string;
  cpu: string;
  memory: string;
  /** Pod capacity; 110 when left out. */
  pods?: number;
  labels?: Record<string, string>;
  /** None by default: fake nodes take any pod. */
  taints?: V1Taint[];
}

export interface ControlPlane {
  /** Temp working folder (certificates, kubeconfigs, logs, etcd data). */
  dir: string;
  /** Admin kubeconfig (system:masters) for clients: https://127.0.0.1:<port>. */
  kubeconfigPath: string;
  /** A fresh @kubernetes/client-node KubeConfig loaded from kubeconfigPath. */
  kubeConfig(): KubeConfig;
  apiserverUrl: string;
  /** https://127.0.0.1:<port> of kube-scheduler's secure port (/readyz, /metrics, /configz as the admin). */
  schedulerUrl: string;
  /** Folder the binaries ran from. */
  binDir: string;
  /**
   * (Re)starts kube-scheduler with a KubeSchedulerConfiguration (YAML; apiVersion/kind may be
   * left out). The harness sets clientConnection.kubeconfig and turns leader election off.
   * Resolves once its /readyz answers.
   */
  startScheduler(configYaml: string): Promise<void>;
  stopScheduler(): Promise<void>;
  /**
   * Starts the kube-scheduler binary a second time, as a child named `name` (e.g. tidal-scheduler), with
   * this KubeSchedulerConfiguration as given (its profiles, leader election) but for
   * clientConnection.kubeconfig, which is `kubeconfig` (e.g. a ServiceAccount's token); its secure port
   * is a free loopback port. Waits for /healthz. Stop it with stopChild(name).
   */
  startSecondScheduler(name: string, configYaml: string, kubeconfig: string): Promise<{ proc: ManagedProcess; url: string }>;
  /** Stops and starts kube-apiserver on the same port and etcd; resolves once /readyz answers. */
  restartApiserver(): Promise<void>;
  /** Stops kube-apiserver (etcd keeps running); startApiserver() brings it back on the same port. */
  stopApiserver(): Promise<void>;
  startApiserver(): Promise<void>;
  /** Stops kube-controller-manager (no ReplicaSets, Jobs, PDB status, GC… until it is started again). */
  stopControllerManager(): Promise<void>;
  /** (Re)starts kube-controller-manager; resolves once /healthz answers. */
  startControllerManager(): Promise<void>;
  /**
   * Starts any program (e.g. \`node scheduler/cli/tidal.ts extender …\`) as a child in its own process
   * group, logging to logs(name). The plane owns it: stop() ends it first (before the control plane),
   * and the exit hooks and the reaper kill it like the components. A running one of that name is
   * stopped first.
   */
  startChild(name: string, command: string, args: string[], opts?: { env?: NodeJS.ProcessEnv; cwd?: string }): Promise<ManagedProcess>;
  /** SIGTERM (SIGKILL after graceMs) to a child started with startChild; no-op if not running. */
  stopChild(name: string, graceMs?: number): Promise<void>;
  /** Creates kwok-managed fake nodes and waits until each is Ready and free of not-ready taints. */
  addNodes(nodes: FakeNodeSpec[]): Promise<void>;
  /** Creates a namespace (if missing) and waits for its default ServiceAccount, so pods can be created. */
  ensureNamespace(name: string): Promise<void>;
  /** Path of a component's log file (it may not exist if the component never ran). */
  logs(component: Component | string): string;
  /** Kills every process group and removes dir (kept when KEEP_E2E_DIR=1). Safe to call twice. */
  stop(): Promise<void>;
}

export type { ManagedProcess } from './process.ts';

export interface StartOptions {
  /** Scheduler configuration for the first start; the default profile when left out. */
  schedulerConfigYaml?: string;
  /** Run kube-controller-manager (default true). */
  withControllerManager?: boolean;
  /** Run kube-scheduler (default true). */
  withScheduler?: boolean;
  /** Binaries folder; defaults to TIDAL_E2E_BIN_DIR or the build cache. */
  binDir?: string;
}

export const DEFAULT_SCHEDULER_CONFIG = 'apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n';

const SERVICE_CIDR = '10.0.0.0/24';

// What the e2e tier needs from kube-controller-manager: workload controllers, PDB status,
// garbage collection, namespace deletion, ServiceAccounts and node health/taints, and the volume
// binder (a sweep Job's results claim is bound to a volume made by hand).
const CONTROLLERS = [
  'persistentvolume-binder-controller',
  'replicaset-controller',
  'deployment-controller',
  'statefulset-controller',
  'daemonset-controller',
  'job-controller',
  'cronjob-controller',
  'ttl-after-finished-controller',
  'disruption-controller',
  'garbage-collector-controller',
  'pod-garbage-collector-controller',
  'namespace-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'root-ca-certificate-publisher-controller',
  'clusterrole-aggregation-controller',
  'node-lifecycle-controller',
  'taint-eviction-controller',
  'resourcequota-controller',
];

const KEEP_DIR = (): boolean => process.env.KEEP_E2E_DIR === '1';

/** Free loopback ports, all held open until every one is picked so none repeats. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const addr = s.address();
    if (addr === null || typeof addr === 'string') throw new Error('no port');
    return addr.port;
  });
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

// --- cleanup when the test process goes away without stop() ------------------------------

const live = new Set<ControlPlaneImpl>();
let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const cp of live) cp.killNowSync();
  });
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.once(signal, () => {
      for (const cp of live) cp.killNowSync();
      process.exit(code);
    });
  }
}

// A detached shell that outlives a SIGKILLed test process: once that process is gone it kills
// the recorded process groups and removes the folder.
const REAPER_SCRIPT = `
parent=$1; dir=$2; keep=$3
while kill -0 "$parent" 2>/dev/null; do sleep 2; done
if [ -f "$dir/.pgids" ]; then
  for g in $(cat "$dir/.pgids"); do kill -9 -"$g" 2>/dev/null; done
fi
[ "$keep" = 1 ] || rm -rf "$dir"
`;

// --- the control plane ---------------------------------------------------------------------

class ControlPlaneImpl implements ControlPlane {
  dir: string;
  kubeconfigPath: string;
  apiserverUrl: string;
  schedulerUrl: string;
  binDir: string;

  private readonly procs = new Map<string, ManagedProcess>();
  /** Names of the processes started with startChild (stopped first on tear-down). */
  private readonly children = new Set<string>();
  private readonly ports: Record<'etcdClient' | 'etcdPeer' | 'apiserver' | 'controllerManager' | 'scheduler' | 'kwok', number>;
  private pki: Pki | undefined;
  private adminTls: TlsOptions | undefined;
  private reaperPid: number | undefined;
  private stopping: Promise<void> | undefined;
  private schedulerConfigCount = 0;

  constructor(dir: string, bin: string, ports: number[]) {
    this.dir = dir;
    this.binDir = bin;
    const [etcdClient, etcdPeer, apiserver, controllerManager, scheduler, kwok] = ports as [
      number, number, number, number, number, number,
    ];
    this.ports = { etcdClient, etcdPeer, apiserver, controllerManager, scheduler, kwok };
    this.apiserverUrl = `https://127.0.0.1:${apiserver}`;
    this.schedulerUrl = `https://127.0.0.1:${scheduler}`;
    this.kubeconfigPath = join(dir, 'admin.kubeconfig');
  }

  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromFile(this.kubeconfigPath);
    return kc;
  }

  logs(component: string): string {
    return join(this.dir, `${component}.log`);
  }

  private bin(name: Binary): string {
    return binaryPath(this.binDir, name);
  }

  private recordPgids(): void {
    const pids = [...this.procs.values()].filter((p) => p.exited() === undefined).map((p) => p.pid);
    try {
      writeFileSync(join(this.dir, '.pgids'), pids.join('\n') + '\n');
    } catch {
      // dir already removed
    }
  }

  private launch(component: Component, args: string[], env?: NodeJS.ProcessEnv): ManagedProcess {
    const proc = startProcess(component, this.bin(component), args, this.logs(component), { env, cwd: this.dir });
    this.procs.set(component, proc);
    this.recordPgids();
    return proc;
  }

  private async halt(component: string, graceMs?: number): Promise<void> {
    const proc = this.procs.get(component);
    if (!proc) return;
    await proc.stop(graceMs);
    this.procs.delete(component);
    this.recordPgids();
  }

  async startChild(
    name: string,
    command: string,
    args: string[],
    opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
  ): Promise<ManagedProcess> {
    if (this.stopping) throw new Error(`control plane stopping: cannot start ${name}`);
    if ((['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'] as string[]).includes(name)) {
      throw new Error(`${name} is a control-plane component name; pick another for a child process`);
    }
    await this.halt(name);
    const proc = startProcess(name, command, args, this.logs(name), { env: opts.env, cwd: opts.cwd ?? this.dir });
    this.procs.set(name, proc);
    this.children.add(name);
    this.recordPgids();
    return proc;
  }

  async stopChild(name: string, graceMs?: number): Promise<void> {
    await this.halt(name, graceMs);
  }

  async setUp(opts: StartOptions): Promise<void> {
    live.add(this);
    installExitHooks();
    const reaper = spawn('sh', ['-c', REAPER_SCRIPT, 'tidal-e2e-reaper', String(process.pid), this.dir, KEEP_DIR() ? '1' : '0'], {
      detached: true,
      stdio: 'ignore',
    });
    reaper.unref();
    this.reaperPid = reaper.pid;

    const pkiDir = join(this.dir, 'pki');
    mkdirSync(pkiDir);
    this.pki = await makePki(pkiDir);
    const { clients, caCert } = this.pki;
    writeKubeconfig(this.kubeconfigPath, this.apiserverUrl, caCert, clients.admin, 'tidal-e2e-admin');
    writeKubeconfig(join(this.dir, 'scheduler.kubeconfig'), this.apiserverUrl, caCert, clients.scheduler, 'system:kube-scheduler');
    writeKubeconfig(
      join(this.dir, 'controller-manager.kubeconfig'),
      this.apiserverUrl,
      caCert,
      clients.controllerManager,
      'system:kube-controller-manager',
    );
    this.adminTls = readTls({ ca: caCert, cert: clients.admin.cert, key: clients.admin.key });

    await this.startEtcd();
    await this.startApiserver();

    const pending: Array<Promise<void>> = [this.startKwok()];
    if (opts.withControllerManager ?? true) pending.push(this.startControllerManager());
    if (opts.withScheduler ?? true) pending.push(this.startScheduler(opts.schedulerConfigYaml ?? DEFAULT_SCHEDULER_CONFIG));
    await Promise.all(pending);
    if (opts.withControllerManager ?? true) await this.waitForServiceAccount('default', 60_000);
  }

  private async startEtcd(): Promise<void> {
    const { etcdClient, etcdPeer } = this.ports;
    const client = `http://127.0.0.1:${etcdClient}`;
    const peer = `http://127.0.0.1:${etcdPeer}`;
    const proc = this.launch('etcd', [
      '--name=e2e',
      `--data-dir=${join(this.dir, 'etcd-data')}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=e2e=${peer}`,
      '--initial-cluster-state=new',
      // Test data only: no fsync, keeps the disk and CPU quiet.
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ]);
    await waitHealthy(proc, `${client}/health`, {
      timeoutMs: 60_000,
      accept: (body) => body.includes('"health":"true"'),
    });
  }

  private apiserverArgs(): string[] {
    const pki = this.requirePki();
    return [
      `--etcd-servers=http://127.0.0.1:${this.ports.etcdClient}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${this.ports.apiserver}`,
      `--cert-dir=${join(this.dir, 'apiserver-certs')}`,
      `--tls-cert-file=${pki.servingCert}`,
      `--tls-private-key-file=${pki.servingKey}`,
      `--client-ca-file=${pki.caCert}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--authorization-mode=Node,RBAC',
      `--service-account-issuer=${this.apiserverUrl}`,
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      // Request-header (front proxy) authentication, as kubeadm sets it up: without it the
      // delegated authentication of the scheduler and controller-manager keeps logging errors.
      `--requestheader-client-ca-file=${pki.frontProxyCaCert}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      `--proxy-client-cert-file=${pki.frontProxyClient.cert}`,
      `--proxy-client-key-file=${pki.frontProxyClient.key}`,
      '--allow-privileged=true',
      // The "kubernetes" Service endpoint would be a loopback address, which Endpoints reject.
      '--endpoint-reconciler-type=none',
      // On SIGTERM, close open watches (within 2s) instead of letting the HTTP server wait
      // for them, which keeps a restart to a couple of seconds rather than ~15s+.
      '--shutdown-watch-termination-grace-period=2s',
    ];
  }

  private requirePki(): Pki {
    if (!this.pki) throw new Error('control plane has no certificates yet');
    return this.pki;
  }

  async startApiserver(): Promise<void> {
    await this.halt('kube-apiserver');
    const proc = this.launch('kube-apiserver', this.apiserverArgs());
    await waitHealthy(proc, `${this.apiserverUrl}/readyz`, { tls: this.adminTls, timeoutMs: 120_000 });
  }

  async restartApiserver(): Promise<void> {
    await this.halt('kube-apiserver');
    await this.startApiserver();
  }

  async stopApiserver(): Promise<void> {
    await this.halt('kube-apiserver');
  }

  async stopControllerManager(): Promise<void> {
    await this.halt('kube-controller-manager');
  }

  async startControllerManager(): Promise<void> {
    await this.halt('kube-controller-manager');
    const pki = this.requirePki();
    const kubeconfig = join(this.dir, 'controller-manager.kubeconfig');
    const proc = this.launch('kube-controller-manager', [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${this.ports.controllerManager}`,
      `--cert-dir=${join(this.dir, 'controller-manager-certs')}`,
      '--leader-elect=false',
      '--use-service-account-credentials=true',
      `--root-ca-file=${pki.caCert}`,
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--cluster-signing-cert-file=${pki.caCert}`,
      `--cluster-signing-key-file=${pki.caKey}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      `--controllers=${CONTROLLERS.join(',')}`,
    ]);
    await waitHealthy(proc, `https://127.0.0.1:${this.ports.controllerManager}/healthz`, {
      tls: { rejectUnauthorized: false },
      timeoutMs: 120_000,
    });
  }

  async startScheduler(configYaml: string): Promise<void> {
    await this.halt('kube-scheduler');
    const parsed: unknown = parseYaml(configYaml || DEFAULT_SCHEDULER_CONFIG) ?? {};
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error('scheduler config must be a YAML mapping (a KubeSchedulerConfiguration)');
    }
    const config = parsed as Record<string, unknown>;
    config.apiVersion ??= 'kubescheduler.config.k8s.io/v1';
    config.kind ??= 'KubeSchedulerConfiguration';
    const kubeconfig = join(this.dir, 'scheduler.kubeconfig');
    config.clientConnection = { ...(config.clientConnection as object | undefined), kubeconfig };
    config.leaderElection = { ...(config.leaderElection as object | undefined), leaderElect: false };
    this.schedulerConfigCount += 1;
    const configPath = join(this.dir, `scheduler-config-${this.schedulerConfigCount}.yaml`);
    writeFileSync(configPath, stringifyYaml(config));
    const proc = this.launch('kube-scheduler', [
      `--config=${configPath}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${this.ports.scheduler}`,
      `--cert-dir=${join(this.dir, 'scheduler-certs')}`,
    ]);
    await waitHealthy(proc, `https://127.0.0.1:${this.ports.scheduler}/readyz`, {
      tls: { rejectUnauthorized: false },
      timeoutMs: 120_000,
    });
  }

  async stopScheduler(): Promise<void> {
    await this.halt('kube-scheduler');
  }

  async startSecondScheduler(name: string, configYaml: string, kubeconfig: string): Promise<{ proc: ManagedProcess; url: string }> {
    const config = parseYaml(configYaml) as Record<string, unknown>;
    config.clientConnection = { ...(config.clientConnection as object | undefined), kubeconfig };
    const configPath = join(this.dir, `${name}-config.yaml`);
    writeFileSync(configPath, stringifyYaml(config));
    const [port] = await freePorts(1);
    const proc = await this.startChild(name, binaryPath(this.binDir, 'kube-scheduler'), [
      `--config=${configPath}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${join(this.dir, `${name}-certs`)}`,
    ]);
    const url = `https://127.0.0.1:${port}`;
    await waitHealthy(proc, `${url}/healthz`, { tls: { rejectUnauthorized: false }, timeoutMs: 120_000 });
    return { proc, url };
  }

  private async startKwok(): Promise<void> {
    const kwokDir = join(this.dir, 'kwok');
    mkdirSync(kwokDir, { recursive: true });
    const stages = join(kwokDir, 'stages.yaml');
    writeFileSync(stages, KWOK_STAGES_YAML);
    const proc = this.launch(
      'kwok',
      [
        `--kubeconfig=${this.kubeconfigPath}`,
        `--config=${stages}`,
        '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
        // kwok renews each node's Lease, which is what node-lifecycle-controller watches.
        '--node-lease-duration-seconds=40',
        '--cidr=10.244.0.0/16',
        '--node-ip=10.96.0.1',
        `--server-address=127.0.0.1:${this.ports.kwok}`,
      ],
      // kwok also reads $KWOK_WORKDIR/kwok.yaml (default ~/.kwok): keep it inside dir.
      { ...process.env, KWOK_WORKDIR: kwokDir },
    );
    await waitHealthy(proc, `http://127.0.0.1:${this.ports.kwok}/healthz`, { timeoutMs: 60_000 });
  }

  private async waitForServiceAccount(namespace: string, timeoutMs: number): Promise<void> {
    const core = this.kubeConfig().makeApiClient(CoreV1Api);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await core.readNamespacedServiceAccount({ name: 'default', namespace });
        return;
      } catch (err) {
        if (Date.now() >= deadline) {
          throw new Error(
            `no ServiceAccount ${namespace}/default after ${timeoutMs / 1000}s (${(err as Error).message}).\n` +
              `--- tail of ${this.logs('kube-controller-manager')}\n${tailFile(this.logs('kube-controller-manager'))}`,
          );
        }
      }
      await sleep(250);
    }
  }

  async ensureNamespace(name: string): Promise<void> {
    const core = this.kubeConfig().makeApiClient(CoreV1Api);
    try {
      await core.createNamespace({ body: { metadata: { name } } });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
    if (this.procs.has('kube-controller-manager')) await this.waitForServiceAccount(name, 60_000);
  }

  async addNodes(nodes: FakeNodeSpec[]): Promise<void> {
    const core = this.kubeConfig().makeApiClient(CoreV1Api);
    for (const n of nodes) {
      const resources = { cpu: n.cpu, memory: n.memory, pods: String(n.pods ?? 110) };
      const body: V1Node = {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: n.name,
          labels: {
            'kubernetes.io/hostname': n.name,
            'kubernetes.io/os': 'linux',
            'kubernetes.io/arch': 'amd64',
            type: 'kwok',
            ...n.labels,
          },
          annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        },
        spec: n.taints ? { taints: n.taints } : {},
        status: { capacity: resources, allocatable: resources },
      };
      await core.createNode({ body });
    }
    const names = new Set(nodes.map((n) => n.name));
    const timeoutMs = 90_000;
    const deadline = Date.now() + timeoutMs;
    let notReady: string[] = [...names];
    while (notReady.length > 0) {
      const list = await core.listNode();
      notReady = list.items
        .filter((node) => names.has(node.metadata?.name ?? ''))
        .filter((node) => {
          const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
          const systemTaint = (node.spec?.taints ?? []).some((t) => t.key.startsWith('node.kubernetes.io/'));
          return !ready || systemTaint;
        })
        .map((node) => node.metadata?.name ?? '?');
      if (notReady.length === 0) break;
      if (Date.now() >= deadline) {
        throw new Error(
          `fake nodes not Ready (or still tainted) after ${timeoutMs / 1000}s: ${notReady.join(', ')}.\n` +
            `--- tail of ${this.logs('kwok')}\n${tailFile(this.logs('kwok'))}`,
        );
      }
      await sleep(250);
    }
  }

  /** For exit handlers: SIGKILL every group now, remove the folder. */
  killNowSync(): void {
    for (const proc of this.procs.values()) proc.killNow();
    this.procs.clear();
    if (this.reaperPid !== undefined) {
      try {
        process.kill(-this.reaperPid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    if (!KEEP_DIR()) rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }

  stop(): Promise<void> {
    this.stopping ??= this.tearDown();
    return this.stopping;
  }

  private async tearDown(): Promise<void> {
    // Children (Tidal's processes) first, then the clients, storage last.
    await Promise.all([...this.children].map((name) => this.halt(name)));
    for (const c of ['kube-scheduler', 'kube-controller-manager', 'kwok', 'kube-apiserver', 'etcd'] as const) {
      await this.halt(c);
    }
    if (this.reaperPid !== undefined) {
      try {
        process.kill(-this.reaperPid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    live.delete(this);
    if (KEEP_DIR()) {
      process.stderr.write(`[tidal-e2e] KEEP_E2E_DIR=1: control-plane folder kept at ${this.dir}\n`);
    } else {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/** Starts etcd, kube-apiserver, kwok and (by default) kube-controller-manager and kube-scheduler. */
export async function startControlPlane(opts: StartOptions = {}): Promise<ControlPlane> {
  const bin = opts.binDir ?? defaultBinDir();
  const missing = missingBinaries(bin);
  if (missing.length > 0) {
    throw new Error(`control-plane binaries missing in ${bin}: ${missing.join(', ')} (run test/e2e/controlplane/build.sh)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'tidal-e2e-'));
  const cp = new ControlPlaneImpl(dir, bin, await freePorts(6));
  try {
    await cp.setUp(opts);
  } catch (err) {
    await cp.stop();
    throw err;
  }
  return cp;
}

/** GET a path on the apiserver as the admin user (e.g. '/version', '/readyz'). */
export async function apiserverGet(cp: ControlPlane, path: string): Promise<{ status: number; body: string }> {
  const kc = cp.kubeConfig();
  const user = kc.getCurrentUser();
  const cluster = kc.getCurrentCluster();
  const fromB64 = (s: string | undefined): Buffer | undefined => (s ? Buffer.from(s, 'base64') : undefined);
  return httpGet(`${cp.apiserverUrl}${path}`, {
    ca: fromB64(cluster?.caData) ?? (cluster?.caFile ? readFileSync(cluster.caFile) : undefined),
    cert: fromB64(user?.certData),
    key: fromB64(user?.keyData),
  });
}

/**
 * GET a URL of another component's secure port (kube-scheduler's /configz, /metrics) with the admin
 * client certificate. Those ports serve a self-signed certificate, which is not verified.
 */
export async function componentGet(cp: ControlPlane, url: string): Promise<{ status: number; body: string }> {
  const user = cp.kubeConfig().getCurrentUser();
  const fromB64 = (s: string | undefined): Buffer | undefined => (s ? Buffer.from(s, 'base64') : undefined);
  return httpGet(url, { cert: fromB64(user?.certData), key: fromB64(user?.keyData), rejectUnauthorized: false });
}
