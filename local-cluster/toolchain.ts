// Where the control plane's binaries come from: build.sh compiles them once per version into a
// user cache; this module runs it and names the results. versions.env stays the one place a
// version is written (scripts/kind-up.sh reads it too).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export interface Versions {
  kubernetes: string;
  etcd: string;
  cnpg: string;
  cniPlugins: string;
  coredns: string;
  localPathProvisioner: string;
}

/** The node's binaries (built unless LOCAL_CLUSTER=api-only). */
export interface NodeBinaries {
  kubelet: string;
  kubeProxy: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  coredns: string;
  localPathProvisioner: string;
  /** CNI plugin name → binary. */
  cniPlugins: Record<string, string>;
}

export interface Toolchain {
  versions: Versions;
  etcd: string;
  kubeApiserver: string;
  kubectl: string;
  operator: string;
  /** The operator's release manifest (CRDs, RBAC, Deployment, webhooks) for `versions.cnpg`. */
  manifest: string;
  node: NodeBinaries;
}

export function readVersions(): Versions {
  const env = Object.fromEntries(
    readFileSync(join(here, 'versions.env'), 'utf8')
      .split('\n')
      .map((line) => /^([A-Z_]+)=(\S+)/.exec(line.trim()))
      .filter((match) => match !== null)
      .map((match) => [match[1], match[2]]),
  );
  const pick = (key: string): string => {
    const value = env[key];
    if (!value) throw new Error(`versions.env has no ${key}`);
    return value;
  };
  return {
    kubernetes: pick('KUBERNETES_VERSION'),
    etcd: pick('ETCD_VERSION'),
    cnpg: pick('CNPG_VERSION'),
    cniPlugins: pick('CNI_PLUGINS_VERSION'),
    coredns: pick('COREDNS_VERSION'),
    localPathProvisioner: pick('LOCAL_PATH_PROVISIONER_VERSION'),
  };
}

/** Same rule as build.sh: ${XDG_CACHE_HOME:-~/.cache}/cnpg-mcp. */
export function cacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'cnpg-mcp');
}

/**
 * Path of the release manifest for the pinned operator version. build.sh puts it there from the
 * Go module; scripts/kind-up.sh downloads the same file there, so specs find it on both paths.
 */
export function releaseManifestPath(versions: Versions = readVersions()): string {
  return join(cacheDir(), `cnpg-${versions.cnpg.replace(/^v/, '')}.yaml`);
}

/**
 * Runs build.sh (a no-op when every binary is cached) and returns the binaries' paths. With
 * `withNode: false` the node's binaries are not built (their paths are named all the same).
 */
export async function buildToolchain({ withNode = true } = {}): Promise<Toolchain> {
  const binDir = await runBuildScript(withNode);
  const versions = readVersions();
  const kube = (name: string) => join(binDir, `${name}-${versions.kubernetes}`);
  return {
    versions,
    etcd: join(binDir, `etcd-${versions.etcd}`),
    kubeApiserver: kube('kube-apiserver'),
    kubectl: kube('kubectl'),
    operator: join(binDir, `cnpg-manager-${versions.cnpg}`),
    manifest: releaseManifestPath(versions),
    node: {
      kubelet: kube('kubelet'),
      kubeProxy: kube('kube-proxy'),
      kubeControllerManager: kube('kube-controller-manager'),
      kubeScheduler: kube('kube-scheduler'),
      coredns: join(binDir, `coredns-${versions.coredns}`),
      localPathProvisioner: join(binDir, `local-path-provisioner-${versions.localPathProvisioner}`),
      cniPlugins: Object.fromEntries(['bridge', 'host-local', 'loopback', 'portmap'].map((name) => [name, join(binDir, `cni-${name}-${versions.cniPlugins}`)])),
    },
  };
}

function runBuildScript(withNode: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, LOCAL_CLUSTER: withNode ? (process.env.LOCAL_CLUSTER ?? '') : 'api-only' };
    // stderr is inherited: a cold build takes minutes and says so ("building … first time only").
    const child = spawn('bash', [join(here, 'build.sh')], { stdio: ['ignore', 'pipe', 'inherit'], env });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      const binDir = stdout.trim().split('\n').at(-1);
      if (code === 0 && binDir) resolve(binDir);
      else reject(new Error(`local-cluster/build.sh failed (exit ${code}); its output is above`));
    });
  });
}
