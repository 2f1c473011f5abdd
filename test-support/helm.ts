// Renders the Helm chart (deploy/helm/cnpg-mcp) for specs and e2e, with the helm binary that
// scripts/build-helm.sh builds once from the Go module proxy and caches by version.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));
export const chartDir = join(repoRoot, 'deploy', 'helm', 'cnpg-mcp');
export const manifestsDir = join(repoRoot, 'deploy', 'manifests');
const buildScript = join(repoRoot, 'scripts', 'build-helm.sh');

/** A rendered Kubernetes object; specs narrow the fields they read. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** The cached helm binary, or undefined when it has not been built yet (nothing is built here). */
export function cachedHelm(): string | undefined {
  const result = spawnSync('bash', [buildScript, '--print-path'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** The helm binary, built first if needed (needs Go; about a minute and a half the first time). */
export function buildHelm(): string {
  const out = execFileSync('bash', [buildScript], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').at(-1)!;
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  /** Values on top of the chart's values.yaml (as a values file, so types are kept). */
  values?: Record<string, unknown>;
}

/** `helm template` → the rendered objects. Throws with helm's message when rendering fails. */
export function renderChart(helm: string, { release = 'cnpg-mcp', namespace = 'cnpg-mcp', values = {} }: RenderOptions = {}): K8sObject[] {
  const dir = mkdtempSync(join(tmpdir(), 'cnpg-mcp-helm-'));
  try {
    const valuesFile = join(dir, 'values.yaml');
    writeFileSync(valuesFile, stringify(values));
    const result = spawnSync(helm, ['template', release, chartDir, '--namespace', namespace, '--values', valuesFile], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`helm template failed: ${result.stderr.trim()}`);
    return parseManifests(result.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length) throw new Error(`invalid YAML in rendered manifests: ${doc.errors[0]!.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null && typeof o === 'object');
}

/** The committed plain manifests (npm run render:manifests). */
export function readRenderedManifests(file = 'cnpg-mcp.yaml'): K8sObject[] {
  return parseManifests(readFileSync(join(manifestsDir, file), 'utf8'));
}

/** The one object of that kind (and name), or an error listing what there is. */
export function only<T = K8sObject>(objects: K8sObject[], kind: string, name?: string): T {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) {
    throw new Error(
      `expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`,
    );
  }
  return found[0] as T;
}
