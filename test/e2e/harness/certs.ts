// Certificates and kubeconfigs for a throw-away control plane, made with the openssl CLI.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}

export interface ClientCert {
  cert: string;
  key: string;
}

export interface Pki {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  /** RSA key pair for service-account tokens (private signs, public verifies). */
  serviceAccountKey: string;
  serviceAccountPub: string;
  /** Separate CA and client for the aggregation layer's request-header authentication. */
  frontProxyCaCert: string;
  frontProxyClient: ClientCert;
  clients: Record<'admin' | 'scheduler' | 'controllerManager', ClientCert>;
}

/** EC P-256 key; fast to make and accepted by every component. */
async function ecKey(dir: string, name: string): Promise<string> {
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`], dir);
  return join(dir, `${name}.key`);
}

async function selfSignedCa(dir: string, name: string, cn: string): Promise<{ cert: string; key: string }> {
  const key = await ecKey(dir, name);
  await openssl(
    [
      'req', '-x509', '-new', '-key', key, '-subj', `/CN=${cn}`, '-days', '30', '-sha256',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
      '-out', `${name}.crt`,
    ],
    dir,
  );
  return { cert: join(dir, `${name}.crt`), key };
}

async function signed(
  dir: string,
  name: string,
  subject: string,
  extensions: string,
  ca = 'ca',
): Promise<{ cert: string; key: string }> {
  const key = await ecKey(dir, name);
  await openssl(['req', '-new', '-key', key, '-subj', subject, '-out', `${name}.csr`], dir);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  await openssl(
    [
      'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial',
      '-days', '30', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`,
    ],
    dir,
  );
  return { cert: join(dir, `${name}.crt`), key };
}

const clientExt = 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n';

export async function makePki(dir: string): Promise<Pki> {
  const ca = await selfSignedCa(dir, 'ca', 'tidal-e2e-ca');
  const serving = await signed(
    dir,
    'apiserver',
    '/CN=kube-apiserver',
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' +
      'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,' +
      'DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\n',
  );
  const admin = await signed(dir, 'admin', '/O=system:masters/CN=tidal-e2e-admin', clientExt);
  const scheduler = await signed(dir, 'scheduler', '/CN=system:kube-scheduler', clientExt);
  const controllerManager = await signed(dir, 'controller-manager', '/CN=system:kube-controller-manager', clientExt);
  const frontProxyCa = await selfSignedCa(dir, 'front-proxy-ca', 'tidal-e2e-front-proxy-ca');
  const frontProxyClient = await signed(dir, 'front-proxy-client', '/CN=front-proxy-client', clientExt, 'front-proxy-ca');
  await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'sa.key'], dir);
  await openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
  return {
    caCert: ca.cert,
    caKey: ca.key,
    servingCert: serving.cert,
    servingKey: serving.key,
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
    frontProxyCaCert: frontProxyCa.cert,
    frontProxyClient,
    clients: { admin, scheduler, controllerManager },
  };
}

const b64 = (path: string): string => readFileSync(path).toString('base64');

/** A kubeconfig with the CA and client credentials embedded (no file references). */
export function writeKubeconfig(path: string, server: string, caCert: string, client: ClientCert, user: string): void {
  const text = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: tidal-e2e',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${b64(caCert)}`,
    'users:',
    `- name: ${user}`,
    '  user:',
    `    client-certificate-data: ${b64(client.cert)}`,
    `    client-key-data: ${b64(client.key)}`,
    'contexts:',
    '- name: tidal-e2e',
    '  context:',
    '    cluster: tidal-e2e',
    `    user: ${user}`,
    'current-context: tidal-e2e',
    '',
  ].join('\n');
  writeFileSync(path, text, { mode: 0o600 });
}
