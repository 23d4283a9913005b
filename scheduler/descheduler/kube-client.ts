// The descheduler's Kubernetes calls, with @kubernetes/client-node: the policy/v1 Eviction
// subresource, a merge patch for the reason annotation, and core/v1 Events.

import {
  ApiException,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
  type KubeConfig,
} from '@kubernetes/client-node';
import type { EvictionClient, EvictionOutcome, PodRef } from './executor.ts';

const COMPONENT = 'tidal-descheduler';

export function kubeEvictionClient(kc: KubeConfig, identity: string): EvictionClient {
  const core = kc.makeApiClient(CoreV1Api);
  return {
    async evict(pod: PodRef) {
      try {
        await core.createNamespacedPodEviction({
          name: pod.name,
          namespace: pod.namespace,
          body: {
            apiVersion: 'policy/v1',
            kind: 'Eviction',
            metadata: { name: pod.name, namespace: pod.namespace },
            deleteOptions: { preconditions: { uid: pod.uid } },
          },
        });
        return { outcome: 'evicted' as EvictionOutcome, message: 'accepted' };
      } catch (e) {
        return { outcome: outcomeOf(e), message: messageOf(e) };
      }
    },
    async annotate(pod: PodRef, annotations: Record<string, string>) {
      await core.patchNamespacedPod(
        { name: pod.name, namespace: pod.namespace, body: { metadata: { annotations } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    },
    async event(pod: PodRef, type: 'Normal' | 'Warning', reason: string, message: string) {
      const now = new Date();
      await core.createNamespacedEvent({
        namespace: pod.namespace,
        body: {
          metadata: { generateName: `${pod.name}.tidal-`, namespace: pod.namespace },
          involvedObject: { kind: 'Pod', apiVersion: 'v1', namespace: pod.namespace, name: pod.name, uid: pod.uid },
          type,
          reason,
          message: message.slice(0, 1024),
          source: { component: COMPONENT },
          reportingComponent: COMPONENT,
          reportingInstance: identity,
          action: 'Evict',
          firstTimestamp: now,
          lastTimestamp: now,
          eventTime: new V1MicroTime(now.getTime()),
          count: 1,
        },
      });
    },
  };
}

/** 429: a disruption budget refuses now; 404: gone; 409: the UID precondition failed (pod replaced). */
export function outcomeOf(e: unknown): EvictionOutcome {
  const code = e instanceof ApiException ? e.code : (e as { code?: number }).code;
  if (code === 429) return 'blocked';
  if (code === 404) return 'gone';
  if (code === 409) return 'conflict';
  return 'error';
}

function messageOf(e: unknown): string {
  if (e instanceof ApiException) {
    const body = typeof e.body === 'string' ? safeParse(e.body) : e.body;
    return `HTTP ${e.code}: ${(body as { message?: string } | undefined)?.message ?? e.message}`;
  }
  return (e as Error).message;
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return { message: s };
  }
}
