// The peer: the Go Kubernetes MCP server (containers/kubernetes-mcp-server, shipped on npm as
// `kubernetes-mcp-server-linux-amd64`, pinned to one version and installed on first use under the
// local cluster's cache — not a devDependency: it is 75 MB, linux-x64 only, and npm ci refuses a
// platform-bound package on every other machine), run by the
// benchmark against the same API server and reading the same Cluster as cnpg-mcp, over its
// Streamable HTTP transport, so "ahead of the peer" is a ratio measured side by side (issue #17).
//
// It reads the Cluster with its generic `resources_get` tool: one GET to the API server per call
// (it has no cache), through client-go, whose default client-side limiter allows 5 requests/s
// (burst 10). It has no flag for that; KUBE_CLIENT_QPS / KUBE_CLIENT_BURST in its environment
// raise it. Both are measured, labelled by `peer_qps`.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../../local-cluster/toolchain.js';
import { arch, platform } from 'node:os';
import type { TransportName } from './clients.js';
import { simpleRequest, type HttpTarget } from './http.js';
import type { ChildServer } from './processes.js';
import { scrapeApiserver, sumOf } from './prometheus.js';
import { runClosedLoop, type ScenarioResult, type ToolCall } from './runner.js';

export const PEER_PACKAGE = 'kubernetes-mcp-server-linux-amd64';
/** The peer speaks Streamable HTTP with sessions (protocol 2025-11-25) on /mcp, as our session transport does. */
export const PEER_TRANSPORT: TransportName = 'streamable-session';
/** Our scenario the peer's figures are set against: the same transport, the same number of clients. */
export const OURS_SCENARIO = (clients: number) => `streamable-session-${clients}`;

/** resources_get of the bench Cluster: the peer's way to read what get_cluster_status reads. */
export function peerTool(cluster: { name: string; namespace: string }): ToolCall {
  return { name: 'resources_get', args: { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', namespace: cluster.namespace, name: cluster.name } };
}

/**
 * How the peer's Kubernetes client is limited. `as-shipped`: client-go's defaults (5 requests/s,
 * burst 10), what a user gets. `raised`: KUBE_CLIENT_QPS/BURST far above what two cores can
 * serve, so the figure is the peer's own per-call cost.
 */
export type PeerQps = 'as-shipped' | 'raised';
export const RAISED_QPS = { KUBE_CLIENT_QPS: '100000', KUBE_CLIENT_BURST: '200000' } as const;

export interface PeerOptions {
  kubeconfigPath: string;
  qps: PeerQps;
}

/**
 * The command line: loopback only, an ephemeral port (it binds port 0 but prints ":0", so the port
 * is read from /proc), read-only tools, the one kubeconfig cluster, only the core toolset.
 */
export function peerArgs(options: PeerOptions): string[] {
  return [
    '--port',
    '0',
    '--bind-address',
    '127.0.0.1',
    '--kubeconfig',
    options.kubeconfigPath,
    '--cluster-provider',
    'kubeconfig',
    '--disable-multi-cluster',
    '--read-only',
    '--toolsets',
    'core',
    '--log-level',
    '0',
  ];
}

/** The environment: ours minus any inherited limiter setting, plus the raised one when asked. */
export function peerEnv(base: NodeJS.ProcessEnv, qps: PeerQps): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  delete env.KUBE_CLIENT_QPS;
  delete env.KUBE_CLIENT_BURST;
  return qps === 'raised' ? { ...env, ...RAISED_QPS } : env;
}

/** The peer's version, pinned so that runs on different days compare the same binary. */
export const PEER_VERSION = '0.0.67';

/**
 * The binary inside the npm package, installed with npm on first use into
 * ~/.cache/cnpg-mcp/peer/<version> (npm checks the registry's integrity hash); a clear error where it cannot run.
 */
export function peerBinary(): string {
  if (platform() !== 'linux' || arch() !== 'x64') throw new Error(`the peer group needs linux x64 (${PEER_PACKAGE}); this is ${platform()} ${arch()}`);
  const prefix = join(cacheDir(), 'peer', PEER_VERSION);
  const binary = join(prefix, 'node_modules', PEER_PACKAGE, 'bin', PEER_PACKAGE);
  if (existsSync(binary)) return binary;
  const npm = ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', `${PEER_PACKAGE}@${PEER_VERSION}`];
  try {
    execFileSync('npm', npm, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 });
  } catch (err) {
    const detail = (err as { stderr?: Buffer }).stderr?.toString().trim().split('\n').at(-1) ?? String(err);
    throw new Error(`could not install the peer (npm ${npm.join(' ')}): ${detail}`);
  }
  if (!existsSync(binary)) throw new Error(`npm installed ${PEER_PACKAGE}@${PEER_VERSION} but ${binary} is missing`);
  return binary;
}

export interface ListeningSocket {
  address: string;
  port: number;
  inode: number;
}

/** The listening TCP sockets in the text of /proc/<pid>/net/tcp (IPv4; addresses are little-endian hex). */
export function parseListeningSockets(procNetTcp: string): ListeningSocket[] {
  const sockets: ListeningSocket[] = [];
  for (const line of procNetTcp.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || fields[3] !== '0A') continue; // 0A = TCP_LISTEN
    const [hexAddress, hexPort] = fields[1]!.split(':') as [string, string];
    const bytes = hexAddress
      .match(/../g)!
      .map((b) => parseInt(b, 16))
      .reverse();
    sockets.push({ address: bytes.join('.'), port: parseInt(hexPort, 16), inode: Number(fields[9]) });
  }
  return sockets;
}

/** The socket inodes among the targets of /proc/<pid>/fd/* links ("socket:[12345]"). */
export function socketInodes(linkTargets: readonly string[]): Set<number> {
  const inodes = new Set<number>();
  for (const target of linkTargets) {
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match) inodes.add(Number(match[1]));
  }
  return inodes;
}

/** The loopback port `pid` itself listens on, or undefined while it listens on none. */
export function listeningPort(pid: number): number | undefined {
  let links: string[];
  let tcp: string;
  try {
    links = readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return '';
      }
    });
    tcp = readFileSync(`/proc/${pid}/net/tcp`, 'utf8');
  } catch {
    return undefined;
  }
  const own = socketInodes(links);
  return parseListeningSockets(tcp).find((s) => own.has(s.inode) && s.address === '127.0.0.1')?.port;
}

const running = new Set<ReturnType<typeof spawn>>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts the peer and resolves once its /healthz answers 200. */
export async function startPeer(options: PeerOptions, timeoutMs = 60_000): Promise<ChildServer> {
  const child = spawn(peerBinary(), peerArgs(options), { env: peerEnv(process.env, options.qps), stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const lines: string[] = [];
  const onText = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      lines.push(line);
      if (lines.length > 200) lines.shift();
    }
  };
  // Both pipes are read for the life of the child: a full pipe would block it.
  child.stdout!.on('data', onText);
  child.stderr!.on('data', onText);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => running.delete(child));
  let stopping: Promise<number | null> | undefined;
  const stop = (graceMs = 10_000) =>
    (stopping ??= (async () => {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    })());
  const deadline = Date.now() + timeoutMs;
  let last = 'not listening yet';
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`the peer exited (${child.exitCode}) before it was ready`);
      const port = listeningPort(child.pid!);
      if (port !== undefined) {
        const url = new URL(`http://127.0.0.1:${port}`);
        const res = await simpleRequest({ origin: url }, 'GET', '/healthz').catch((err: Error) => ({ status: 0, body: err.message }));
        if (res.status === 200) return { url, pid: child.pid!, tail: () => [...lines], exited, stop };
        last = `/healthz: ${res.status} ${res.body.slice(0, 100)}`;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the peer was not ready within ${timeoutMs / 1000} s (${last})`);
  } catch (err) {
    await stop(2000);
    throw new Error(`${(err as Error).message}\n${lines.slice(-20).join('\n')}`);
  }
}

export function peerVersion(): string {
  return execFileSync(peerBinary(), ['--version'], { encoding: 'utf8', timeout: 30_000 }).trim().split('\n')[0] ?? 'unknown';
}

/** The text of the tools/call answer in a Streamable HTTP body, JSON or SSE `data:` lines. */
export function toolResultText(body: string, id: number): { text: string; isError: boolean } {
  const candidates = body.trimStart().startsWith('{')
    ? [body]
    : body
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trim());
  for (const raw of candidates) {
    let message: { id?: unknown; result?: { isError?: boolean; content?: { type: string; text?: string }[] }; error?: { message: string } };
    try {
      message = JSON.parse(raw) as typeof message;
    } catch {
      continue;
    }
    if (message.id !== id) continue;
    if (message.error) return { text: message.error.message, isError: true };
    const text = (message.result?.content ?? [])
      .filter((c) => c.type === 'text')
      .map((c) => c.text ?? '')
      .join('\n');
    return { text, isError: message.result?.isError === true };
  }
  throw new Error(`no answer with id ${id} in the body: ${body.slice(0, 200)}`);
}

/** Whether a resources_get answer is the Cluster asked for (its YAML or JSON names kind and name). */
export function namesCluster(text: string, cluster: { name: string; namespace: string }): boolean {
  const yaml =
    /^kind: Cluster$/m.test(text) &&
    new RegExp(`^\\s+name: ${cluster.name}$`, 'm').test(text) &&
    new RegExp(`^\\s+namespace: ${cluster.namespace}$`, 'm').test(text);
  const json = /"kind":\s*"Cluster"/.test(text) && text.includes(`"name": "${cluster.name}"`);
  return yaml || json;
}

/**
 * One real session and one call, before the load: the peer must answer with the same Cluster
 * cnpg-mcp reads, or its figures would be of a different job (an error answer is cheap).
 */
export async function checkPeerReadsCluster(target: HttpTarget, cluster: { name: string; namespace: string }): Promise<void> {
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const init = await simpleRequest(
    target,
    'POST',
    '/mcp',
    headers,
    JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'cnpg-mcp-bench', version: '1' } },
    }),
  );
  const session = init.headers['mcp-session-id'];
  if (init.status !== 200 || typeof session !== 'string')
    throw new Error(`the peer's initialize answered ${init.status} without a session: ${init.body.slice(0, 200)}`);
  const inSession = { ...headers, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
  await simpleRequest(target, 'POST', '/mcp', inSession, '{"jsonrpc":"2.0","method":"notifications/initialized"}');
  const tool = peerTool(cluster);
  const call = await simpleRequest(
    target,
    'POST',
    '/mcp',
    inSession,
    JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: tool.name, arguments: tool.args } }),
  );
  await simpleRequest(target, 'DELETE', '/mcp', inSession).catch(() => undefined);
  const result = toolResultText(call.body, 2);
  if (result.isError || !namesCluster(result.text, cluster))
    throw new Error(`the peer's ${tool.name} did not return Cluster ${cluster.namespace}/${cluster.name}: ${result.text.slice(0, 300)}`);
}

interface RatioRecord {
  name: string;
  group: string;
  rps: number;
  cpu_us_per_call: number | null;
  [extra: string]: unknown;
}

const ratio = (value: number, base: number | null | undefined) => (base ? Math.round((value / base) * 1000) / 1000 : null);

/**
 * Each peer record against our server's same scenario (streamable-session at 50 clients, the
 * figure set beside it): `ours_ratio` = peer calls/s ÷ ours, `ours_cpu_ratio` = peer CPU per
 * call ÷ ours. Null when our scenario did not run.
 */
export function addOursRatios(records: RatioRecord[], oursClients: number): void {
  const ours = records.find((r) => r.name === OURS_SCENARIO(oursClients));
  for (const r of records) {
    if (r.group !== 'peer') continue;
    r.ours_scenario = ours ? ours.name : null;
    r.ours_ratio = ours ? ratio(r.rps, ours.rps) : null;
    r.ours_cpu_ratio = ours && r.cpu_us_per_call !== null ? ratio(r.cpu_us_per_call, ours.cpu_us_per_call) : null;
  }
}

/** The scenarios of the group: raised first (the peer's own cost), then as shipped. */
export interface PeerScenario {
  name: string;
  qps: PeerQps;
  clients: number;
}

/**
 * As shipped, the limiter holds the peer to ~5 calls/s whatever the load: at 50 clients each
 * call would queue ~10 s in it, past the harness's 10 s deadline (counted lost, not measured).
 * So it runs with 5 clients: ~1 s per call, the throughput the same 5/s.
 */
export function peerScenarios(mainClients: number): PeerScenario[] {
  return [
    { name: `peer-raised-qps-${mainClients}`, qps: 'raised', clients: mainClients },
    { name: 'peer-as-shipped-5', qps: 'as-shipped', clients: 5 },
  ];
}

export interface PeerGroupContext {
  kubeconfigPath: string;
  cluster: { name: string; namespace: string };
  mainClients: number;
  durationMs: number;
  warmupMs: number;
  deadlineMs: number;
  log: (line: string) => void;
  /** A line for the results' notes (why the group did not run). */
  note: (line: string) => void;
  /** Receives each scenario's figures, with the peer's command line, version and limiter added. */
  add: (result: ScenarioResult & Record<string, unknown>) => void;
}

/** CNPG Cluster requests kube-apiserver has served so far (every client; the operator's too). */
async function clusterRequests(kubeconfigPath: string): Promise<number | null> {
  try {
    return sumOf(await scrapeApiserver(kubeconfigPath), 'apiserver_request_total', { group: 'postgresql.cnpg.io', resource: 'clusters' });
  } catch {
    return null;
  }
}

/** Each peer scenario on a freshly started peer, checked to read the Cluster first. */
export async function runPeerGroup(ctx: PeerGroupContext): Promise<void> {
  let version: string;
  try {
    version = peerVersion();
  } catch (err) {
    // Not a failure of the servers measured: the other groups stand; the notes say why this one is missing.
    const why = `The peer group did not run: ${(err as Error).message}`;
    ctx.log(why);
    ctx.note(why);
    return;
  }
  const tool = peerTool(ctx.cluster);
  for (const scenario of peerScenarios(ctx.mainClients)) {
    const peer = await startPeer({ kubeconfigPath: ctx.kubeconfigPath, qps: scenario.qps });
    try {
      const target = { http: { origin: peer.url }, pid: peer.pid };
      await checkPeerReadsCluster(target.http, ctx.cluster);
      const before = await clusterRequests(ctx.kubeconfigPath);
      const result = await runClosedLoop(target, {
        name: scenario.name,
        transport: PEER_TRANSPORT,
        clients: scenario.clients,
        durationMs: ctx.durationMs,
        warmupMs: ctx.warmupMs,
        callsPerSession: 0,
        tool,
        deadlineMs: ctx.deadlineMs,
        log: ctx.log,
      });
      const after = await clusterRequests(ctx.kubeconfigPath);
      ctx.add({
        ...result,
        peer_version: version,
        peer_flags: peerArgs({ kubeconfigPath: '<kubeconfig>', qps: scenario.qps }),
        peer_qps:
          scenario.qps === 'raised'
            ? `raised: KUBE_CLIENT_QPS=${RAISED_QPS.KUBE_CLIENT_QPS} KUBE_CLIENT_BURST=${RAISED_QPS.KUBE_CLIENT_BURST}`
            : 'as shipped: client-go default, 5 requests/s, burst 10',
        peer_tool: tool.name,
        // Requests to kube-apiserver per completed call (warm-up included; the operator's few count too).
        api_requests_per_call:
          before !== null && after !== null && result.completed_total > 0 ? Math.round(((after - before) / result.completed_total) * 100) / 100 : null,
      });
    } finally {
      await peer.stop();
    }
  }
}
