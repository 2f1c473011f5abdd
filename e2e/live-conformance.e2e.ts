// The official conformance scenarios for the live features (issue #15), from the pinned
// @modelcontextprotocol/conformance CLI, against this server over Streamable HTTP on a real API
// server. The scenarios name fixtures of their own (a resource test://watched-resource, a prompt
// test_prompt_with_arguments): the in-process server here is built with
// ServerDeps.conformanceFixtures, which no flag or environment variable can set.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningHttpServer } from '../src/app/serve.js';
import { startServer, stopAllServers } from '../test-support/http-server.js';
import { testDeps } from '../test-support/in-memory.js';
import { repoRoot } from '../test-support/server-process.js';
import { useTestNamespace } from './helpers/cluster.js';

const run = promisify(execFile);
const namespace = useTestNamespace('conformance');
let server: RunningHttpServer;

beforeAll(async () => {
  const deps = { ...testDeps(['--namespaces', namespace()], { KUBECONFIG: inject('kubeconfigPath') }), conformanceFixtures: true };
  server = await startServer(deps);
});
afterAll(stopAllServers);

describe.each(['completion-complete', 'resources-subscribe', 'resources-unsubscribe'])('conformance scenario %s', (scenario) => {
  it('passes', async () => {
    const cli = `${repoRoot}/node_modules/.bin/conformance`;
    const { stdout, stderr } = await run(cli, ['server', '--url', `${server.url}/mcp`, '--scenario', scenario], { cwd: repoRoot, timeout: 60_000 }).catch(
      (err: { stdout?: string; stderr?: string; message: string }) => ({ stdout: err.stdout ?? '', stderr: `${err.stderr ?? ''}\n${err.message}` }),
    );
    console.log(`conformance ${scenario}:\n${stdout}${stderr}`);
    expect(stdout).toMatch(/Passed:\s*1\/1|1 passed|✓/);
    expect(stdout).not.toMatch(/FAILURE|Failed:\s*[1-9]/);
  });
});
