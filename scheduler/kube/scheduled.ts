// When kube-scheduler bound each pod: its `Scheduled` events. kube-scheduler reports every pod it binds
// with an event of reason Scheduled (events.k8s.io/v1, eventTime in microseconds; read here through
// core/v1, which serves the same objects), after the binding. creationTimestamp has second resolution
// and says nothing of the order pods created together were decided in; these events do, to the
// millisecond, for as long as the apiserver keeps events (--event-ttl, 1 h by default).
// `tidal trace record` writes a look's arrivals in this order (simulator/traces/record.ts).

import { CoreV1Api, type CoreV1Event, type KubeConfig } from '@kubernetes/client-node';

/** The fields of a core/v1 Event that are read. */
export type ScheduledEventLike = Pick<CoreV1Event, 'reason' | 'involvedObject' | 'eventTime' | 'lastTimestamp' | 'firstTimestamp' | 'metadata'>;

/**
 * uid -> when the pod was reported bound (ms), in that order; pods bound in the same millisecond in the
 * order of their events' resourceVersions (the apiserver's write order). A pod with several such
 * events keeps its last.
 */
export function scheduledTimes(events: readonly ScheduledEventLike[]): Map<string, number> {
  const seen: Array<{ uid: string; at: number; rv: number; k: number }> = [];
  events.forEach((e, k) => {
    const uid = e.involvedObject?.uid;
    if (e.reason !== 'Scheduled' || !uid || (e.involvedObject.kind && e.involvedObject.kind !== 'Pod')) return;
    const when = e.eventTime ?? e.lastTimestamp ?? e.firstTimestamp;
    const at = when instanceof Date ? when.getTime() : typeof when === 'string' ? Date.parse(when) : NaN;
    if (!Number.isFinite(at)) return;
    const rv = Number(e.metadata?.resourceVersion);
    seen.push({ uid, at, rv: Number.isFinite(rv) ? rv : Infinity, k });
  });
  seen.sort((a, b) => a.at - b.at || (a.rv === b.rv ? 0 : a.rv < b.rv ? -1 : 1) || a.k - b.k);
  const out = new Map<string, number>();
  for (const s of seen) {
    out.delete(s.uid);
    out.set(s.uid, s.at);
  }
  return out;
}

/** Lists the cluster's Scheduled events (all namespaces, paged) and returns scheduledTimes of them. */
export async function listScheduledTimes(kc: KubeConfig): Promise<Map<string, number>> {
  const core = kc.makeApiClient(CoreV1Api);
  const all: CoreV1Event[] = [];
  let cont: string | undefined;
  do {
    const page = await core.listEventForAllNamespaces({ fieldSelector: 'reason=Scheduled', limit: 500, ...(cont ? { _continue: cont } : {}) });
    all.push(...page.items);
    cont = page.metadata?._continue || undefined;
  } while (cont);
  return scheduledTimes(all);
}
