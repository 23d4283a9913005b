// A small HTTP server on 127.0.0.1 that answers the descheduler's calls the way kube-apiserver does:
// policy/v1 evictions (201, 429 with the disruption-budget Status, 404, 409 on a UID precondition),
// merge patches of pod metadata, core/v1 Events, and coordination/v1 Leases with resourceVersion
// conflicts; and, for the extender's bind verb, the pods/binding subresource (201, 404, 409 on a UID
// precondition or a pod already bound). The end-to-end tier repeats these cases against the real apiserver.

import express from 'express';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';

export interface FakePod {
  namespace: string;
  name: string;
  uid: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Set by a binding. */
  nodeName?: string;
}

export interface FakeApi {
  url: string;
  kubeConfig: KubeConfig;
  pods: Map<string, FakePod>;
  /** Pods (namespace/name) whose eviction a budget refuses. */
  protectedPods: Set<string>;
  /** Namespace/name -> HTTP status to fail that pod's eviction with (e.g. 500). */
  failWith: Map<string, number>;
  evictions: string[];
  /** Bindings created, in order: "namespace/name -> node". */
  bindings: string[];
  /** Namespace/name -> HTTP status to fail that pod's binding with (e.g. 500). */
  bindFailWith: Map<string, number>;
  /** Delay before answering a binding (ms; default 0). */
  bindDelayMs: number;
  events: Array<{ namespace: string; reason: string; type: string; message: string; involved: string }>;
  leases: Map<string, { body: Record<string, unknown>; rv: number }>;
  requests: string[];
  close(): Promise<void>;
}

function status(code: number, reason: string, message: string, extra: Record<string, unknown> = {}) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: code < 300 ? 'Success' : 'Failure', message, reason, code, ...extra };
}

export async function startFakeApi(): Promise<FakeApi> {
  const app = express();
  app.use(express.json({ type: () => true }));
  const api = {
    pods: new Map<string, FakePod>(),
    protectedPods: new Set<string>(),
    failWith: new Map<string, number>(),
    evictions: [] as string[],
    bindings: [] as string[],
    bindFailWith: new Map<string, number>(),
    bindDelayMs: 0,
    events: [] as FakeApi['events'],
    leases: new Map<string, { body: Record<string, unknown>; rv: number }>(),
    requests: [] as string[],
  };
  let rv = 100;
  app.use((req, _res, next) => {
    api.requests.push(`${req.method} ${req.path}`);
    next();
  });

  app.post('/api/v1/namespaces/:ns/pods/:name/eviction', (req, res) => {
    const key = `${req.params.ns}/${req.params.name}`;
    const pod = api.pods.get(key);
    if (!pod) return res.status(404).json(status(404, 'NotFound', `pods "${req.params.name}" not found`, { details: { name: req.params.name, kind: 'pods' } }));
    const fail = api.failWith.get(key);
    if (fail) return res.status(fail).json(status(fail, 'InternalError', 'injected failure'));
    const uid = req.body?.deleteOptions?.preconditions?.uid;
    if (uid && uid !== pod.uid) {
      return res.status(409).json(status(409, 'Conflict', `Operation cannot be fulfilled on Pod "${pod.name}": Precondition failed: UID in precondition: ${uid}, UID in object meta: ${pod.uid}`));
    }
    if (api.protectedPods.has(key)) {
      return res.status(429).json(
        status(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
          details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget jobs-pdb needs 2 healthy pods and has 2 currently' }] },
        }),
      );
    }
    api.pods.delete(key);
    api.evictions.push(key);
    return res.status(201).json(status(201, '', ''));
  });

  app.post('/api/v1/namespaces/:ns/pods/:name/binding', async (req, res) => {
    if (api.bindDelayMs > 0) await new Promise((r) => setTimeout(r, api.bindDelayMs));
    const key = `${req.params.ns}/${req.params.name}`;
    const pod = api.pods.get(key);
    if (!pod) return res.status(404).json(status(404, 'NotFound', `pods "${req.params.name}" not found`, { details: { name: req.params.name, kind: 'pods' } }));
    const fail = api.bindFailWith.get(key);
    if (fail) return res.status(fail).json(status(fail, 'InternalError', 'injected failure'));
    const b = req.body ?? {};
    if (b.kind !== 'Binding' || b.target?.kind !== 'Node' || typeof b.target?.name !== 'string' || b.metadata?.name !== pod.name) {
      return res.status(400).json(status(400, 'BadRequest', `not a Binding of pod ${pod.name} to a Node`));
    }
    const uid = b.metadata?.uid;
    if (uid && uid !== pod.uid) {
      return res.status(409).json(status(409, 'Conflict', `Operation cannot be fulfilled on pods/binding "${pod.name}": Precondition failed: UID in precondition: ${uid}, UID in object meta: ${pod.uid}`));
    }
    if (pod.nodeName) return res.status(409).json(status(409, 'Conflict', `Operation cannot be fulfilled on pods/binding "${pod.name}": pod ${pod.name} is already assigned to node "${pod.nodeName}"`));
    pod.nodeName = b.target.name;
    api.bindings.push(`${key} -> ${b.target.name}`);
    return res.status(201).json(status(201, '', ''));
  });

  app.patch('/api/v1/namespaces/:ns/pods/:name', (req, res) => {
    const pod = api.pods.get(`${req.params.ns}/${req.params.name}`);
    if (!pod) return res.status(404).json(status(404, 'NotFound', `pods "${req.params.name}" not found`));
    if (req.get('content-type') !== 'application/merge-patch+json') return res.status(415).json(status(415, 'UnsupportedMediaType', `unsupported patch type ${req.get('content-type')}`));
    pod.annotations = { ...pod.annotations, ...req.body?.metadata?.annotations };
    return res.json({ apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid, annotations: pod.annotations } });
  });

  app.post('/api/v1/namespaces/:ns/events', (req, res) => {
    const b = req.body ?? {};
    api.events.push({ namespace: req.params.ns, reason: b.reason, type: b.type, message: b.message, involved: `${b.involvedObject?.namespace}/${b.involvedObject?.name}` });
    res.status(201).json({ ...b, apiVersion: 'v1', kind: 'Event', metadata: { ...b.metadata, name: `${b.metadata?.generateName ?? 'e'}${rv++}` } });
  });

  const leaseKey = (ns: string, name: string) => `${ns}/${name}`;
  app.get('/apis/coordination.k8s.io/v1/namespaces/:ns/leases/:name', (req, res) => {
    const l = api.leases.get(leaseKey(req.params.ns, req.params.name));
    if (!l) return res.status(404).json(status(404, 'NotFound', `leases.coordination.k8s.io "${req.params.name}" not found`));
    return res.json(l.body);
  });
  app.post('/apis/coordination.k8s.io/v1/namespaces/:ns/leases', (req, res) => {
    const name = req.body?.metadata?.name;
    const key = leaseKey(req.params.ns, name);
    if (api.leases.has(key)) return res.status(409).json(status(409, 'AlreadyExists', `leases.coordination.k8s.io "${name}" already exists`));
    const v = ++rv;
    const body = { ...req.body, apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { ...req.body.metadata, namespace: req.params.ns, resourceVersion: String(v) } };
    api.leases.set(key, { body, rv: v });
    return res.status(201).json(body);
  });
  app.put('/apis/coordination.k8s.io/v1/namespaces/:ns/leases/:name', (req, res) => {
    const key = leaseKey(req.params.ns, req.params.name);
    const l = api.leases.get(key);
    if (!l) return res.status(404).json(status(404, 'NotFound', 'not found'));
    if (String(req.body?.metadata?.resourceVersion) !== String(l.rv)) {
      return res.status(409).json(status(409, 'Conflict', 'Operation cannot be fulfilled on leases.coordination.k8s.io: the object has been modified; please apply your changes to the latest version and try again'));
    }
    const v = ++rv;
    const body = { ...req.body, metadata: { ...req.body.metadata, resourceVersion: String(v) } };
    api.leases.set(key, { body, rv: v });
    return res.json(body);
  });
  app.use((req, res) => res.status(404).json(status(404, 'NotFound', `no route ${req.method} ${req.path}`)));

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'fake', server: url, skipTLSVerify: true }],
    users: [{ name: 'fake' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'fake' }],
    currentContext: 'fake',
  });
  return {
    url,
    kubeConfig,
    ...api,
    get bindDelayMs() {
      return api.bindDelayMs;
    },
    set bindDelayMs(ms: number) {
      api.bindDelayMs = ms;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
