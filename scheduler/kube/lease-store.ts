// A LeaseStore (leader.ts) over coordination.k8s.io/v1 with @kubernetes/client-node: 404 reads as
// "no Lease yet", 409 as ConflictError (someone else changed or created it first).

import { ApiException, CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { ConflictError, type LeaseStore } from './leader.ts';

export function kubeLeaseStore(kc: KubeConfig, namespace: string, name: string): LeaseStore {
  const api = kc.makeApiClient(CoordinationV1Api);
  return {
    async get() {
      try {
        return await api.readNamespacedLease({ name, namespace });
      } catch (e) {
        if (e instanceof ApiException && e.code === 404) return null;
        throw e;
      }
    },
    async create(lease: V1Lease) {
      try {
        return await api.createNamespacedLease({ namespace, body: lease });
      } catch (e) {
        if (e instanceof ApiException && e.code === 409) throw new ConflictError('lease created concurrently');
        throw e;
      }
    },
    async replace(lease: V1Lease) {
      try {
        return await api.replaceNamespacedLease({ name, namespace, body: lease });
      } catch (e) {
        if (e instanceof ApiException && e.code === 409) throw new ConflictError();
        throw e;
      }
    },
  };
}
