// Starting the HTTP server with security settings for a spec, and reading what it audited.
// Tokens here are test-only values, made up for these specs.
import { Writable } from 'node:stream';
import { Client, StreamableHTTPClientTransport, type ClientOptions } from '@modelcontextprotocol/client';
import { pino } from 'pino';
import type { HttpAppOptions, HttpConfig } from '../../../src/app/app.js';
import type { ServerDeps } from '../../../src/mcp/server.js';
import type { RunningHttpServer } from '../../../src/app/serve.js';
import { testDeps } from '../../../test-support/in-memory.js';
import { httpConfig, startServer } from '../../../test-support/http-server.js';

export const TOKEN_A = 'test-only-token-alice-0123456789abcdef';
export const TOKEN_B = 'test-only-token-bob-fedcba9876543210xyz';
export const UNKNOWN_TOKEN = 'test-only-token-nobody-00000000000000';

export type AuditRecord = Record<string, unknown> & { event: string };

export class AuditCapture {
  readonly records: AuditRecord[] = [];
  readonly lines: string[] = [];
  readonly sink = (line: string) => {
    this.lines.push(line);
    this.records.push(JSON.parse(line) as AuditRecord);
  };
  of(event: string): AuditRecord[] {
    return this.records.filter((r) => r.event === event);
  }
}

export interface SecuredServer {
  running: RunningHttpServer;
  url: string;
  audit: AuditCapture;
}

export interface SecuredOptions {
  /** AUTH_TOKENS; default [TOKEN_A, TOKEN_B]. */
  tokens?: string[];
  auth?: Partial<HttpConfig['auth']>;
  config?: Partial<HttpConfig>;
  deps?: ServerDeps;
  options?: HttpAppOptions;
}

/** The server on 127.0.0.1:0 with bearer tokens; stopped by stopAllServers() (spec/helpers/http.ts). */
export async function startSecured(settings: SecuredOptions = {}): Promise<SecuredServer> {
  const audit = new AuditCapture();
  const base = httpConfig();
  const running = await startServer(
    settings.deps ?? testDeps(),
    { ...settings.config, auth: { ...base.auth, tokens: settings.tokens ?? [TOKEN_A, TOKEN_B], ...settings.auth } },
    { auditSink: audit.sink, ...settings.options },
  );
  return { running, url: running.url, audit };
}

/** Deps whose logger writes every line (debug and up) into `lines`. */
export function depsLoggingTo(lines: string[]): ServerDeps {
  const sink = new Writable({
    write: (chunk: Buffer, _enc, done) => {
      lines.push(chunk.toString());
      done();
    },
  });
  return { ...testDeps(), logger: pino({ level: 'debug' }, sink) };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The SDK's Client over Streamable HTTP with a bearer token. */
export async function connectWithToken(
  url: string,
  token: string,
  options: ClientOptions = {},
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', url), { requestInit: { headers: bearer(token) } });
  const client = new Client({ name: 'spec-security-client', version: '1.0.0' }, options);
  await client.connect(transport);
  return { client, transport };
}

export const MCP_ACCEPT = 'application/json, text/event-stream';

export const initializeBody = (id: number | string = 1) => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

/** A raw POST /mcp. */
export function postMcp(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: MCP_ACCEPT, ...headers },
    body: JSON.stringify(body),
  });
}

/** Opens a Streamable HTTP session with raw requests as `token`; returns its id. */
export async function openRawSession(url: string, token: string): Promise<string> {
  const res = await postMcp(url, initializeBody(), bearer(token));
  if (res.status !== 200) throw new Error(`initialize answered ${res.status}: ${await res.text()}`);
  await res.text();
  const sessionId = res.headers.get('mcp-session-id')!;
  const ack = await postMcp(
    url,
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { ...bearer(token), 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
  );
  if (ack.status !== 202) throw new Error(`initialized answered ${ack.status}`);
  return sessionId;
}
