// The e2e harness: a real control plane (etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler, kwok fake nodes) on loopback. See test/e2e/README.md.
export {
  apiserverGet,
  type Component,
  componentGet,
  type ControlPlane,
  DEFAULT_SCHEDULER_CONFIG,
  type FakeNodeSpec,
  freePorts,
  type ManagedProcess,
  type StartOptions,
  startControlPlane,
} from './control-plane.ts';
export { BINARIES, binDir, ensureBinaries, ETCD_VERSION, K8S_VERSION, KWOK_VERSION, missingBinaries } from './binaries.ts';
export { KWOK_STAGES_YAML, RUN_DURATION_ANNOTATION } from './kwok-stages.ts';
export { httpGet, tailFile } from './process.ts';
export { e2eSkipReason } from './tier.ts';
export { waitFor } from './wait.ts';
