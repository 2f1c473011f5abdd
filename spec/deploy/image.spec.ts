// The Dockerfile's promises, checked by reading it: same Node major as the project, production
// dependencies only, the uid the chart runs as, and the HTTP command the chart's probes expect.
// It is built for real by BuildKit in e2e/deploy (local-cluster/buildkit/build.sh).
import type { V1Deployment } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IMAGE_ENV } from '../../load/lib/processes.js';
import { only, readRenderedManifests, repoRoot } from '../../test-support/helm.js';

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
const dockerignore = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim());
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { engines: { node: string }; devDependencies: Record<string, string> };
const stages = dockerfile.split(/^FROM /m).slice(1);
// Every stage but the npm cache's (FROM scratch: empty, or a seeded cache given as a named
// context by a build without registry access).
const nodeStages = stages.filter((stage) => !stage.startsWith('scratch AS npm-cache'));
const runtime = stages.at(-1)!;

describe('Dockerfile', () => {
  it('builds on node:<major>-bookworm-slim with the Node major the project pins', () => {
    const major = /\d+/.exec(pkg.devDependencies.node!)![0];
    // engines names every supported major (22.19+ and 24); the image runs the pinned one.
    expect(pkg.engines.node.split('||').map((range) => range.trim())).toContain(`^${major}.0.0`);
    expect(dockerfile).toMatch(new RegExp(`^ARG NODE_IMAGE=node:${major}-bookworm-slim$`, 'm'));
    expect(nodeStages).toHaveLength(stages.length - 1);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's own ${NODE_IMAGE} build argument, as written there
    for (const stage of nodeStages) expect(stage.startsWith('${NODE_IMAGE}')).toBe(true);
  });

  it('has a build stage (npm ci + npm run build) and ships only production dependencies', () => {
    expect(dockerfile).toMatch(/npm ci --cache \/tmp\/npm-cache --ignore-scripts/);
    expect(dockerfile).toMatch(/RUN npm run build/);
    expect(dockerfile).toMatch(/npm ci --cache \/tmp\/npm-cache --omit=dev/);
    expect(runtime).not.toMatch(/npm (ci|install)/);
    expect(runtime).toMatch(/COPY --from=deps \/app\/node_modules/);
    expect(runtime).toMatch(/COPY --from=build \/app\/dist/);
  });

  it('sets the environment the benchmark runs its server with', () => {
    const env = /^ENV (.+)$/m.exec(runtime)![1]!;
    expect(Object.fromEntries(env.split(/\s+/).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]))).toEqual(IMAGE_ENV);
  });

  it('runs as uid 10001, the uid the chart sets, on port 3000 over HTTP on every interface', () => {
    expect(runtime).toMatch(/^USER 10001:10001$/m);
    const pod = only<V1Deployment>(readRenderedManifests(), 'Deployment').spec!.template.spec!;
    expect(pod.securityContext!.runAsUser).toBe(10001);
    expect(runtime).toMatch(/^EXPOSE 3000$/m);
    expect(runtime).toMatch(/^ENTRYPOINT \["node", "dist\/main.js"\]$/m);
    expect(runtime).toMatch(/^CMD \["--transport", "http", "--host", "0.0.0.0", "--port", "3000"\]$/m);
  });

  it('needs no install script of a production dependency (the image installs with --ignore-scripts)', () => {
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; hasInstallScript?: boolean }>;
    };
    const withScripts = Object.entries(lock.packages)
      .filter(([, p]) => p.hasInstallScript && !p.dev)
      .map(([name]) => name);
    expect(withScripts).toEqual([]);
  });

  it('keeps the build context small and free of secrets and local state', () => {
    for (const pattern of ['**/node_modules', 'dist', '.git', 'e2e', 'spec', '.env*']) expect(dockerignore).toContain(pattern);
    for (const needed of ['src', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) expect(dockerignore).not.toContain(needed);
  });
});
