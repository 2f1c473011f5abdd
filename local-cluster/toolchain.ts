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
}

export interface Toolchain {
  versions: Versions;
  etcd: string;
  kubeApiserver: string;
  kubectl: string;
  operator: string;
  /** The operator's release manifest (CRDs, RBAC, Deployment, webhooks) for `versions.cnpg`. */
  manifest: string;
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
  return { kubernetes: pick('KUBERNETES_VERSION'), etcd: pick('ETCD_VERSION'), cnpg: pick('CNPG_VERSION') };
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

/** Runs build.sh (a no-op when every binary is cached) and returns the binaries' paths. */
export async function buildToolchain(): Promise<Toolchain> {
  const binDir = await runBuildScript();
  const versions = readVersions();
  return {
    versions,
    etcd: join(binDir, `etcd-${versions.etcd}`),
    kubeApiserver: join(binDir, `kube-apiserver-${versions.kubernetes}`),
    kubectl: join(binDir, `kubectl-${versions.kubernetes}`),
    operator: join(binDir, `cnpg-manager-${versions.cnpg}`),
    manifest: releaseManifestPath(versions),
  };
}

function runBuildScript(): Promise<string> {
  return new Promise((resolve, reject) => {
    // stderr is inherited: a cold build takes minutes and says so ("building … first time only").
    const child = spawn('bash', [join(here, 'build.sh')], { stdio: ['ignore', 'pipe', 'inherit'] });
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
