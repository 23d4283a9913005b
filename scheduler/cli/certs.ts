// tidal certs bootstrap: the chart's self-signed TLS source (tls.source=selfSigned runs it as a Helm hook
// Job with Tidal's own image). When neither Secret exists, it makes one CA and two certificates signed by
// it, and creates
//   - the extender's serving Secret (tidal-extender-tls: tls.crt/tls.key for tidal-extender.<ns>.svc, and
//     ca.crt, which the extender also uses to verify kube-scheduler's client certificate), and
//   - kube-scheduler's client Secret (tidal-scheduler-client: tls.crt/tls.key for CN system:kube-scheduler,
//     and ca.crt, with which kube-scheduler verifies the extender).
// Both present: nothing to do (an upgrade never rotates them; delete both to have them made again). One
// present without the other: an error, since the CA key is not kept and the two must share the CA.
// Its RBAC: create Secrets in the namespace, get the two by name; nothing else.

import { readFileSync } from 'node:fs';
import { ApiException, CoreV1Api } from '@kubernetes/client-node';
import type { Command } from 'commander';
import { loadKubeConfig } from '../kube/kubeconfig.ts';
import { makeBundle, type IssuedCert } from '../kube/selfsigned.ts';

const NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

interface Opts {
  namespace?: string;
  servingSecret: string;
  clientSecret: string;
  dnsName?: string[];
  days: string;
  kubeconfig?: string;
}

const status = (e: unknown): number | undefined => (e instanceof ApiException ? e.code : undefined);

export function register(program: Command): void {
  const certs = program.command('certs').description('certificates for the extender\'s mTLS');
  certs
    .command('bootstrap')
    .description('create a self-signed CA, the extender\'s serving certificate and kube-scheduler\'s client certificate as two kubernetes.io/tls Secrets, when both are absent (the Helm chart\'s tls.source=selfSigned Job)')
    .option('--namespace <ns>', 'where the Secrets go (default: the pod\'s namespace in a cluster, else tidal-system)')
    .option('--serving-secret <name>', 'the extender\'s serving Secret', 'tidal-extender-tls')
    .option('--client-secret <name>', 'kube-scheduler\'s client Secret', 'tidal-scheduler-client')
    .option('--dns-name <name>', 'a DNS name of the serving certificate, repeatable (default: tidal-extender.<namespace>.svc and .svc.cluster.local)', (v: string, acc: string[] | undefined) => [...(acc ?? []), v])
    .option('--days <n>', 'validity of the CA and both certificates', '825')
    .option('--kubeconfig <file>', 'kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config)')
    .action(async (opts: Opts) => {
      const days = Number(opts.days);
      if (!(Number.isInteger(days) && days > 0)) throw new Error(`--days must be a positive integer (got ${opts.days})`);
      let ns = opts.namespace;
      if (!ns) {
        try {
          ns = readFileSync(NAMESPACE_FILE, 'utf8').trim();
        } catch {
          ns = 'tidal-system';
        }
      }
      const dnsNames = opts.dnsName && opts.dnsName.length > 0 ? opts.dnsName : [`tidal-extender.${ns}.svc`, `tidal-extender.${ns}.svc.cluster.local`];
      const { kubeConfig, source } = loadKubeConfig(opts.kubeconfig);
      const core = kubeConfig.makeApiClient(CoreV1Api);
      const exists = async (name: string): Promise<boolean> => {
        try {
          await core.readNamespacedSecret({ name, namespace: ns });
          return true;
        } catch (e) {
          if (status(e) === 404) return false;
          throw new Error(`reading Secret ${ns}/${name} (${source}): ${(e as Error).message}`);
        }
      };
      const [serving, client] = await Promise.all([exists(opts.servingSecret), exists(opts.clientSecret)]);
      if (serving && client) {
        console.log(`Secrets ${ns}/${opts.servingSecret} and ${ns}/${opts.clientSecret} exist: nothing to do (delete both to have them made again)`);
        return;
      }
      if (serving || client) {
        const [have, missing] = serving ? [opts.servingSecret, opts.clientSecret] : [opts.clientSecret, opts.servingSecret];
        throw new Error(
          `Secret ${ns}/${have} exists but ${ns}/${missing} does not: both must be signed by one CA, whose key is not kept. ` +
            `Delete ${ns}/${have} to have both made again, or create ${missing} yourself signed by the CA in ${have}'s ca.crt (deploy/README.md, Certificates)`,
        );
      }
      const b = makeBundle({ dnsNames, days });
      const secret = (name: string, c: IssuedCert) => ({
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/tls',
        metadata: { name, namespace: ns, labels: { 'app.kubernetes.io/part-of': 'tidal', 'app.kubernetes.io/managed-by': 'tidal-certs-bootstrap' } },
        stringData: { 'tls.crt': c.certPem, 'tls.key': c.keyPem, 'ca.crt': b.caPem },
      });
      for (const [name, c] of [[opts.servingSecret, b.serving], [opts.clientSecret, b.client]] as const) {
        try {
          await core.createNamespacedSecret({ namespace: ns, body: secret(name, c) });
        } catch (e) {
          // Another run got there first: its Secrets win; an operator deletes both if they do not match.
          if (status(e) === 409) throw new Error(`Secret ${ns}/${name} appeared meanwhile (another bootstrap run?): check that both Secrets share one CA, else delete both and run again`);
          throw new Error(`creating Secret ${ns}/${name} (${source}): ${(e as Error).message}`);
        }
      }
      console.log(`created Secrets ${ns}/${opts.servingSecret} (serving: ${dnsNames.join(', ')}) and ${ns}/${opts.clientSecret} (client: system:kube-scheduler), one CA, valid ${days} days`);
    });
}
