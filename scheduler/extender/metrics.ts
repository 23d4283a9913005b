// Prometheus metrics of the extender (prom-client).

import { Counter, Histogram, Registry } from 'prom-client';

export class ExtenderMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'verb' | 'code'>;
  readonly duration: Histogram<'verb' | 'code'>;
  readonly decisions: Counter<'class' | 'result' | 'plugin'>;
  readonly victims: Counter<'class'>;
  readonly preemptNodes: Counter<'result'>;
  readonly notReady: Counter<'verb' | 'class' | 'mode'>;
  readonly podIssues: Counter<'field'>;

  constructor(registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    this.requests = new Counter({ name: 'tidal_extender_requests_total', help: 'Extender HTTP requests by verb (filter, prioritize, preempt, healthz, readyz, metrics, other) and status code', labelNames: ['verb', 'code'], registers });
    this.duration = new Histogram({
      name: 'tidal_extender_request_duration_seconds',
      help: 'Extender HTTP request latency (body parsing, decision and response) by verb and status code',
      labelNames: ['verb', 'code'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.decisions = new Counter({ name: 'tidal_extender_filter_decisions_total', help: 'Per-node filter verdicts by pod class, result (passed, failed, unresolvable) and the filter plugin that decided', labelNames: ['class', 'result', 'plugin'], registers });
    this.victims = new Counter({ name: 'tidal_extender_preemption_victims_total', help: 'Victims Tidal accepted in preempt answers, by preemptor class', labelNames: ['class'], registers });
    this.preemptNodes = new Counter({ name: 'tidal_extender_preemption_nodes_total', help: 'Candidate nodes in preempt calls by result (kept, dropped)', labelNames: ['result'], registers });
    this.notReady = new Counter({ name: 'tidal_extender_not_ready_answers_total', help: 'Answers given before the cluster state synced, by verb, pod class and mode (open, closed)', labelNames: ['verb', 'class', 'mode'], registers });
    this.podIssues = new Counter({ name: 'tidal_extender_pod_issues_total', help: 'Fields of incoming pods that could not be read and fell back to defaults', labelNames: ['field'], registers });
  }
}
