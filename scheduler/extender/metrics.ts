// Prometheus metrics of the extender (prom-client).

import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class ExtenderMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'verb' | 'code'>;
  readonly duration: Histogram<'verb' | 'code'>;
  readonly decisions: Counter<'class' | 'result' | 'plugin'>;
  readonly victims: Counter<'class'>;
  readonly preemptNodes: Counter<'result'>;
  readonly notReady: Counter<'verb' | 'class' | 'mode'>;
  readonly podIssues: Counter<'field'>;
  readonly degraded: Counter<'verb' | 'class' | 'mode' | 'cause'>;
  readonly waited: Histogram<'verb'>;
  readonly abandoned: Counter<'verb'>;
  readonly clientErrors: Counter<'code'>;
  readonly unauthenticated: Counter<'verb'>;
  readonly tlsReloads: Counter<'result'>;
  readonly tlsNotAfter: Gauge;
  readonly tlsHandshakeErrors: Counter;
  readonly binds: Counter<'result'>;
  readonly assumedEnded: Counter<'outcome'>;
  readonly assumedPods: Gauge;
  readonly filterWaits: Counter<'outcome'>;
  readonly filterWaitSeconds: Histogram;
  /** What the assumedPods gauge reports (set by the app when it binds). */
  assumedCount: () => number = () => 0;

  constructor(registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    this.requests = new Counter({ name: 'tidal_extender_requests_total', help: 'Extender HTTP requests by verb (filter, prioritize, preempt, healthz, readyz, metrics, other) and status code', labelNames: ['verb', 'code'], registers });
    this.duration = new Histogram({
      name: 'tidal_extender_request_duration_seconds',
      help: 'Extender HTTP request latency by verb and status code: from arrival (including the time it waited, estimated, while the event loop was busy) through body parsing and the decision to the answer',
      labelNames: ['verb', 'code'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.decisions = new Counter({ name: 'tidal_extender_filter_decisions_total', help: 'Per-node filter verdicts by pod class, result (passed, failed, unresolvable) and the filter plugin that decided', labelNames: ['class', 'result', 'plugin'], registers });
    this.victims = new Counter({ name: 'tidal_extender_preemption_victims_total', help: 'Victims Tidal accepted in preempt answers, by preemptor class', labelNames: ['class'], registers });
    this.preemptNodes = new Counter({ name: 'tidal_extender_preemption_nodes_total', help: 'Candidate nodes in preempt calls by result (kept, dropped)', labelNames: ['result'], registers });
    this.notReady = new Counter({ name: 'tidal_extender_not_ready_answers_total', help: 'Answers given before the cluster state synced, by verb, pod class and mode (open, closed)', labelNames: ['verb', 'class', 'mode'], registers });
    this.podIssues = new Counter({ name: 'tidal_extender_pod_issues_total', help: 'Fields of incoming pods that could not be read and fell back to defaults', labelNames: ['field'], registers });
    this.degraded = new Counter({
      name: 'tidal_extender_degraded_answers_total',
      help: 'Answers given without a decision because it would have left the decision budget, by verb, pod class, mode (open: every node passes; closed: every node fails) and cause (queued: the request waited too long; slow: the decision itself was predicted too slow)',
      labelNames: ['verb', 'class', 'mode', 'cause'],
      registers,
    });
    this.waited = new Histogram({
      name: 'tidal_extender_wait_before_decision_seconds',
      help: 'Time from a request\'s arrival (estimated) to the start of its decision: body transfer, parsing and queueing behind a busy event loop',
      labelNames: ['verb'],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.abandoned = new Counter({ name: 'tidal_extender_abandoned_requests_total', help: 'Requests whose client had gone (kube-scheduler timed out) before the decision: not decided', labelNames: ['verb'], registers });
    this.clientErrors = new Counter({ name: 'tidal_extender_client_errors_total', help: 'Connections closed for a protocol error or timeout before a request reached the app, by code (ERR_HTTP_REQUEST_TIMEOUT: slower than --request-timeout)', labelNames: ['code'], registers });
    this.unauthenticated = new Counter({ name: 'tidal_extender_unauthenticated_requests_total', help: 'Verb requests refused (401) because the client presented no certificate that verifies against --client-ca-file', labelNames: ['verb'], registers });
    this.tlsReloads = new Counter({ name: 'tidal_extender_tls_reloads_total', help: 'Certificate reloads after the files changed, by result (success, error: the new files were refused and the previous certificate is still served)', labelNames: ['result'], registers });
    this.tlsNotAfter = new Gauge({ name: 'tidal_extender_tls_certificate_not_after_seconds', help: 'Expiry (Unix time) of the serving certificate in use', registers });
    this.tlsHandshakeErrors = new Counter({ name: 'tidal_extender_tls_handshake_errors_total', help: 'TLS handshakes that failed (wrong protocol, bad certificate, timeout)', registers });
    this.binds = new Counter({
      name: 'tidal_extender_binds_total',
      help: 'Bind verb calls by result (bound; error: the apiserver refused or failed, kube-scheduler retries the pod; unknown-pod: not a pending pod Tidal knows; no-cluster: serving a snapshot)',
      labelNames: ['result'],
      registers,
    });
    this.assumedEnded = new Counter({
      name: 'tidal_extender_assumed_pods_ended_total',
      help: 'Assumed pods (counted on their node from the bind call until the informer shows them bound) by how the assumption ended: confirmed by the informer, forgotten (binding failed), expired (never confirmed within the TTL), removed (pod deleted)',
      labelNames: ['outcome'],
      registers,
    });
    this.filterWaits = new Counter({
      name: 'tidal_extender_filter_bind_waits_total',
      help: 'Filters that first waited for the bind of a pod filtered before them (kube-scheduler binds asynchronously), by outcome (bound: the binds came; timeout: the wait ran out)',
      labelNames: ['outcome'],
      registers,
    });
    this.filterWaitSeconds = new Histogram({
      name: 'tidal_extender_filter_bind_wait_seconds',
      help: 'How long filters waited for the binds of pods filtered before them',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5],
      registers,
    });
    const self = this;
    this.assumedPods = new Gauge({
      name: 'tidal_extender_assumed_pods',
      help: 'Pods bound by the extender that its informer has not shown bound yet',
      registers,
      collect() {
        this.set(self.assumedCount());
      },
    });
  }
}
