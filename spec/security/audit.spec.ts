// Issue #5, item 12: one audit line per MCP request and per refusal, naming the principal by
// token fingerprint (never the token), with secrets redacted from tool arguments; to stdout or
// appended to --audit-log FILE.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { redactArguments } from '../../src/guards/audit.js';
import { tokenFingerprint } from '../../src/sessions/principal.js';
import { SseClient } from '../../test-support/sse-client.js';
import { depsWithCnpg, fakeCluster, stopAllServers } from '../../test-support/http-server.js';
import { waitFor } from '../../test-support/wait.js';
import { TOKEN_A, UNKNOWN_TOKEN, bearer, connectWithToken, startSecured } from './support/server.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of closers.splice(0)) await fn();
  await stopAllServers();
});

const cnpg = () => depsWithCnpg({ list: async (_kind: string, namespace: string) => [fakeCluster(namespace, 'pg')] });

describe('audit log', () => {
  it('writes one line per MCP request with principal, source, transport, session, method, tool, redacted arguments, outcome and duration', async () => {
    const { url, audit } = await startSecured({ deps: cnpg() });
    const { client, transport } = await connectWithToken(url, TOKEN_A);
    closers.push(() => client.close());
    await client.callTool({ name: 'list_postgres_clusters', arguments: { namespace: 'team-a' } });
    const call = await waitFor(() => audit.of('mcp_request').find((r) => r.method === 'tools/call'), 'the tools/call audit line');
    expect(call).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      event: 'mcp_request',
      principal: tokenFingerprint(TOKEN_A),
      authMethod: 'token',
      sourceIp: '127.0.0.1',
      transport: 'streamable',
      session: transport.sessionId,
      httpMethod: 'POST',
      path: '/mcp',
      method: 'tools/call',
      rpcId: expect.any(Number),
      tool: 'list_postgres_clusters',
      arguments: { namespace: 'team-a' },
      status: 200,
      outcome: 'ok',
      durationMs: expect.any(Number),
    });
    expect(audit.of('mcp_request').map((r) => r.method)).toEqual(expect.arrayContaining(['initialize', 'notifications/initialized', 'tools/call']));
    for (const line of audit.lines) expect(line).not.toContain(TOKEN_A);
  });

  it("records the tool's outcome, not the HTTP status: a tool that reports isError is a tool_error (#12 item 20)", async () => {
    const { url, audit } = await startSecured({ deps: cnpg() });
    const { client } = await connectWithToken(url, TOKEN_A);
    closers.push(() => client.close());
    // An unknown argument: the tool answers isError (HTTP 200) and changes nothing.
    const failed = await client.callTool({ name: 'list_postgres_clusters', arguments: { namespace: 'team-a', nmespace: 'x' } });
    expect(failed.isError).toBe(true);
    const succeeded = await client.callTool({ name: 'list_postgres_clusters', arguments: { namespace: 'team-a' } });
    expect(succeeded.isError).toBeFalsy();
    const calls = await waitFor(() => {
      const lines = audit.of('mcp_request').filter((r) => r.method === 'tools/call');
      return lines.length === 2 ? lines : undefined;
    }, 'two tools/call audit lines');
    expect(calls.map((r) => [r.status, r.outcome])).toEqual([
      [200, 'tool_error'],
      [200, 'ok'],
    ]);
  });

  it('redacts argument values whose key looks secret, at any depth', () => {
    expect(
      redactArguments({
        name: 'app',
        password: 'p4ss',
        nested: { apiToken: 't', list: [{ secretRef: 's', ok: 1 }] },
        ssh_key: 'k',
        credentials: {},
        note: 'fine',
      }),
    ).toEqual({
      name: 'app',
      password: '[redacted]',
      nested: { apiToken: '[redacted]', list: [{ secretRef: '[redacted]', ok: 1 }] },
      ssh_key: '[redacted]',
      credentials: '[redacted]',
      note: 'fine',
    });
  });

  it('redacts secrets in tool arguments on the way to the log', async () => {
    const { url, audit } = await startSecured({ deps: cnpg() });
    const { client } = await connectWithToken(url, TOKEN_A);
    closers.push(() => client.close());
    await client.callTool({ name: 'list_postgres_clusters', arguments: { namespace: 'team-a', password: 'hunter2-secret-value' } }).catch(() => undefined);
    const line = await waitFor(() => audit.lines.find((l) => l.includes('"tools/call"')), 'the tools/call audit line');
    expect(line).not.toContain('hunter2');
    expect(JSON.parse(line!).arguments.password).toBe('[redacted]');
  });

  it('records legacy SSE requests with the session: a request by what its answer on the stream said, a notification as accepted', async () => {
    const { url, audit } = await startSecured();
    const client = await SseClient.connect(url, 5000, bearer(TOKEN_A));
    closers.push(() => client.close());
    await client.initialize();
    // A line is written when the server is done with the response, which may be just after the client read it.
    const posts = await waitFor(() => {
      const lines = audit.of('mcp_request').filter((r) => r.transport === 'sse' && r.httpMethod === 'POST');
      return lines.length === 2 ? lines : undefined;
    }, 'both POSTs to be audited');
    expect(posts!.map((r) => [r.method, r.outcome, r.status, r.session])).toEqual([
      ['initialize', 'ok', 202, client.sessionId],
      ['notifications/initialized', 'accepted', 202, client.sessionId],
    ]);
    client.close();
    // The stream itself is recorded when it ends.
    await waitFor(() => audit.of('mcp_request').find((r) => r.httpMethod === 'GET' && r.session === client.sessionId), 'the stream line');
  });

  it('writes one line per authentication failure, rate limit and origin rejection, with the reason', async () => {
    const { url, audit } = await startSecured({ config: { rateLimitPerMinute: 1 } });
    await request(url).get('/metrics').set(bearer(UNKNOWN_TOKEN)).expect(401);
    await request(url).get('/metrics').set(bearer(TOKEN_A)).set('origin', 'https://evil.example.com').expect(403);
    await request(url).get('/metrics').set(bearer(TOKEN_A)).expect(200);
    await request(url).get('/metrics').set(bearer(TOKEN_A)).expect(429);
    expect(audit.records.map((r) => [r.event, r.reason ?? r.scope])).toEqual([
      ['auth_failure', 'unknown'],
      ['origin_rejected', 'origin'],
      ['rate_limited', 'principal'],
    ]);
    expect(audit.of('rate_limited')[0]).toMatchObject({
      principal: tokenFingerprint(TOKEN_A),
      retryAfterSec: expect.any(Number),
      sourceIp: '127.0.0.1',
      path: '/metrics',
    });
  });

  it('takes the client address from X-Forwarded-For only from proxies trusted with --trust-proxy', async () => {
    const trusted = await startSecured({ config: { trustProxy: 'loopback' } });
    await request(trusted.url).get('/metrics').set(bearer(UNKNOWN_TOKEN)).set('x-forwarded-for', '203.0.113.7').expect(401);
    expect(trusted.audit.of('auth_failure')[0]).toMatchObject({ sourceIp: '203.0.113.7' });
    const untrusted = await startSecured();
    await request(untrusted.url).get('/metrics').set(bearer(UNKNOWN_TOKEN)).set('x-forwarded-for', '203.0.113.7').expect(401);
    expect(untrusted.audit.of('auth_failure')[0]).toMatchObject({ sourceIp: '127.0.0.1' });
  });

  it('does not start when the audit log cannot be written', async () => {
    await expect(startSecured({ config: { auditLog: '/nonexistent/dir/audit.jsonl' }, options: { auditSink: undefined } })).rejects.toThrow(/ENOENT/);
  });

  it('appends to --audit-log FILE', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cnpg-mcp-audit-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'audit.jsonl');
    await writeFile(file, '{"earlier":"line"}\n');
    const { url, running } = await startSecured({ config: { auditLog: file }, options: { auditSink: undefined } });
    await request(url).get('/metrics').set(bearer(UNKNOWN_TOKEN)).expect(401);
    await running.shutdown(AbortSignal.abort());
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('{"earlier":"line"}');
    expect(JSON.parse(lines[1]!)).toMatchObject({ event: 'auth_failure', reason: 'unknown' });
  });
});
