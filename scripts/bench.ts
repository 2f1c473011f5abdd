// npm run bench [-- --quick] [-- --token T] [-- --profile] [-- --only main,sweep] [-- --strict]
//
// Starts the local control plane (or uses --kubeconfig), a bare echo server and the MCP server
// as child processes on 127.0.0.1, runs the scenarios of load/ and writes
// load/results/latest.{json,md,svg} plus a dated copy of the JSON. Exits 1 when a threshold
// fails (any error or lost response); with --strict also when a target of issue #7 is missed.
// See docs/benchmarks.md.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ControlPlane } from '../local-cluster/start.js';
import type { TransportName } from '../load/lib/clients.js';
import {
  buildServer,
  repoRoot,
  serverArgs,
  startEchoServer,
  startMcpServer,
  supportedFlags,
  type ChildServer,
  type McpServerOptions,
} from '../load/lib/processes.js';
import { scrapeApiserver, scrapeServer, sumOf, type PromSample } from '../load/lib/prometheus.js';
import {
  chartFor,
  evaluate,
  renderMarkdown,
  targetDefs,
  type ApiRequestsRecord,
  type BenchResults,
  type IdleSessionsRecord,
  type ScenarioRecord,
} from '../load/lib/report.js';
import { heapAfterGcMb, runClosedLoop, type LoadTarget, type ScenarioResult, type ToolCall } from '../load/lib/runner.js';
import { runChurn, runIdleSessions, runLongSession } from '../load/lib/scenarios.js';
import { BENCH_CLUSTER, ensureBenchCluster } from '../load/lib/setup.js';
import { addOursRatios, runPeerGroup } from '../load/lib/peer.js';
import { formatOutcome } from '../load/lib/thresholds.js';
import { renderSummary, summarizeProfile, type CpuProfile } from '../load/lib/cpuprofile.js';
import { startCpuProfile } from '../load/lib/inspector.js';
import { waitReady } from '../test-support/server-process.js';

const GROUPS = ['baseline', 'main', 'peer', 'sweep', 'churn', 'long-session', 'soak', 'idle'] as const;
type Group = (typeof GROUPS)[number];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    token: { type: 'string' },
    kubeconfig: { type: 'string' },
    profile: { type: 'boolean', default: false },
    only: { type: 'string' },
    strict: { type: 'boolean', default: false },
    out: { type: 'string', default: join(repoRoot, 'load', 'results') },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  process.stdout.write(`npm run bench [-- options]
  --quick           the short run (under 3 minutes); default is the full run (~20 minutes)
  --token T         bearer token: passed to the server as AUTH_TOKENS and sent by every client
  --kubeconfig F    use this cluster instead of starting the local control plane
  --profile         only the 50-client scenarios and churn, each on a fresh server with V8's CPU
                    profiler running for the measured part: <out>/profiles/<name>.{cpuprofile,txt}
  --only G,G        run only these groups: ${GROUPS.join(', ')}
  --strict          also exit 1 when a target of issue #7 is missed
  --out DIR         where results go (default load/results)
`);
  process.exit(0);
}

const quick = values.quick;
const only = values.only ? new Set(values.only.split(',') as Group[]) : undefined;
for (const g of only ?? []) if (!GROUPS.includes(g)) throw new Error(`--only: unknown group ${g} (${GROUPS.join(', ')})`);
const runs = (g: Group) => !only || only.has(g);

/** Every knob of the two modes in one place. */
const PLAN = quick
  ? {
      warmupMs: 2000,
      mainMs: 5000,
      sweepWarmupMs: 500,
      sweepMs: 2000,
      sweep: [1, 10, 100, 1000],
      sweepTransports: ['echo', 'streamable-session', 'legacy-sse'] as TransportName[],
      churnSessions: 200,
      longCheckpoints: [2000, 20_000],
      soakClients: 100,
      soakMs: 20_000,
      soakSampleMs: 5000,
      idle: 1000,
    }
  : {
      warmupMs: 5000,
      mainMs: 30_000,
      sweepWarmupMs: 3000,
      sweepMs: 10_000,
      sweep: [1, 10, 100, 1000],
      sweepTransports: ['echo', 'streamable-session', 'streamable-sessionless', 'legacy-sse'] as TransportName[],
      churnSessions: 5000,
      longCheckpoints: [20_000, 200_000],
      soakClients: 500,
      soakMs: 600_000,
      soakSampleMs: 30_000,
      idle: 10_000,
    };
const MAIN_CLIENTS = 50;
const DEADLINE_MS = 10_000;
const TOOL: ToolCall = { name: 'get_cluster_status', args: { ...BENCH_CLUSTER } };
// Sessions at once: the sweep's 1,000 clients and the idle scenario need more than the default 1,000.
const MAX_SESSIONS = Math.max(PLAN.idle, 1000) + 2000;

const startedAt = performance.now();
const commitAtStart = gitCommit();
const log = (line: string) => process.stderr.write(`[bench ${((performance.now() - startedAt) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
const notes: string[] = [];
const loadBefore = loadavg();

let plane: ControlPlane | undefined;
let serverFlags: string[] = [];
let echo: ChildServer | undefined;
let server: ChildServer | undefined;
const cleanup = async () => {
  await Promise.allSettled([echo?.stop(5000), server?.stop(30_000)]);
  await plane?.stop();
};
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
process.once('SIGTERM', () => void cleanup().then(() => process.exit(143)));

function loadTarget(s: ChildServer): LoadTarget {
  return { http: { origin: s.url, token: values.token }, pid: s.pid, inspectorUrl: s.inspectorUrl };
}

function toRecord(r: ScenarioResult, group: ScenarioRecord['group']): ScenarioRecord {
  return { ...r, unit: 'call', group };
}

async function main(): Promise<number> {
  log(`${quick ? 'quick' : 'full'} run; machine: ${cpus().length} cores, load average ${loadBefore.map((v) => v.toFixed(2)).join(' ')}`);
  if (loadBefore[0]! > 0.5)
    notes.push(
      `The machine was not idle when the run started (load average ${loadBefore[0]!.toFixed(2)}): other work on these ${cpus().length} cores lowers every figure.`,
    );
  let kubeconfigPath = values.kubeconfig;
  if (!kubeconfigPath) {
    const { startControlPlane } = await import('../local-cluster/start.js');
    // API-only: the benchmark reads one Cluster object through the server; PostgreSQL pods would
    // only add noise to the figures on a small machine.
    plane = await startControlPlane({ mode: 'api-only', log: (line) => log(`control plane: ${line}`) });
    kubeconfigPath = plane.kubeconfigPath;
  }
  await ensureBenchCluster(kubeconfigPath);
  log('building the server (dist/, as the image runs it)');
  buildServer();
  const known = supportedFlags();
  const serverOptions: McpServerOptions = { kubeconfigPath, maxSessions: MAX_SESSIONS, token: values.token, inspect: true };
  serverFlags = serverArgs(serverOptions, known);
  if (values.profile) return profileMainScenarios(kubeconfigPath, serverOptions, known);
  const startServer = async () => {
    const started = await startMcpServer(serverOptions, known);
    await waitReady(started);
    return started;
  };
  [echo, server] = await Promise.all([startEchoServer(), startServer()]);
  log(`echo server ${echo.url.origin} (pid ${echo.pid}); cnpg-mcp ${server.url.origin} (pid ${server.pid}): ${serverFlags.join(' ')}`);
  let mcp = loadTarget(server);
  const echoTarget = loadTarget(echo);

  // Warm the watch cache: the first read starts the watch; reads go to the API until it synced.
  await warmUp(mcp, 'streamable-session');

  const scenarios: ScenarioRecord[] = [];
  const add = (record: ScenarioRecord) => {
    scenarios.push(record);
    const extra = record.unit === 'session' ? 'sessions/s' : 'calls/s';
    log(
      `${record.name}: ${record.rps} ${extra}, p50 ${record.p50_ms} ms, p99 ${record.p99_ms} ms, errors ${record.errors}, lost ${record.lost}, server ${record.cpu_us_per_call ?? '–'} µs/${record.unit}, RSS ${record.rss_mb ?? '–'} MiB`,
    );
  };
  const closedLoop = async (
    target: LoadTarget,
    transport: TransportName | TransportName[],
    clients: number,
    group: ScenarioRecord['group'],
    durationMs: number,
    warmupMs: number,
    name?: string,
  ) =>
    add(
      toRecord(
        await runClosedLoop(target, {
          name: name ?? `${Array.isArray(transport) ? 'mixed' : transport}-${clients}`,
          transport,
          clients,
          durationMs,
          warmupMs,
          callsPerSession: 0,
          tool: TOOL,
          deadlineMs: DEADLINE_MS,
          setupConcurrency: 100,
          sampleEveryMs: group === 'soak' ? PLAN.soakSampleMs : undefined,
          log,
        }),
        group,
      ),
    );

  // 1. One session, many calls, first while the heap holds nothing else: RSS at the first checkpoint vs the last.
  if (runs('long-session')) {
    for (const transport of ['streamable-session', 'legacy-sse'] as TransportName[]) {
      const r = await runLongSession(mcp, {
        name: `long-session-${transport}`,
        transport,
        checkpoints: PLAN.longCheckpoints,
        inflight: 8,
        tool: TOOL,
        deadlineMs: DEADLINE_MS,
        log,
      });
      add({ ...r, unit: 'call', group: 'long-session' });
    }
  }

  // 2. The machine's limit, then each transport at 50 clients, bracketed by API-request counts.
  if (runs('baseline') || runs('main')) await closedLoop(echoTarget, 'echo', MAIN_CLIENTS, 'baseline', PLAN.mainMs, PLAN.warmupMs);
  let api: ApiRequestsRecord = { source: 'unavailable', api_requests: null, reads: null, note: 'Not measured: the main scenarios did not run.' };
  if (runs('main')) {
    const before = await countApiRequests(mcp, kubeconfigPath);
    const callsBefore = completedCalls(scenarios);
    for (const transport of ['streamable-session', 'streamable-sessionless', 'legacy-sse'] as TransportName[])
      await closedLoop(mcp, transport, MAIN_CLIENTS, 'main', PLAN.mainMs, PLAN.warmupMs);
    const after = await countApiRequests(mcp, kubeconfigPath);
    api = apiRecord(before, after, completedCalls(scenarios) - callsBefore);
  }

  // 2b. The peer (Go Kubernetes MCP server) on the same API server and Cluster, in this run (issue #17).
  if (runs('peer'))
    await runPeerGroup({
      kubeconfigPath,
      cluster: BENCH_CLUSTER,
      mainClients: MAIN_CLIENTS,
      durationMs: PLAN.mainMs,
      warmupMs: PLAN.warmupMs,
      deadlineMs: DEADLINE_MS,
      log,
      note: (line) => notes.push(line),
      add: (r) => add(toRecord(r, 'peer')),
    });

  // 3. Throughput and p99 against the number of clients (the chart).
  if (runs('sweep')) {
    for (const transport of PLAN.sweepTransports) {
      for (const clients of PLAN.sweep)
        await closedLoop(
          transport === 'echo' ? echoTarget : mcp,
          transport,
          clients,
          'sweep',
          PLAN.sweepMs,
          PLAN.sweepWarmupMs,
          `sweep-${transport}-${clients}`,
        );
    }
  }

  // 4. Churn: many short sessions, then what the server still holds.
  if (runs('churn')) {
    for (const transport of ['streamable-session', 'legacy-sse'] as TransportName[]) {
      const r = await runChurn(mcp, {
        name: `churn-${transport}`,
        transport,
        sessions: PLAN.churnSessions,
        concurrency: 20,
        tool: TOOL,
        deadlineMs: DEADLINE_MS,
        log,
      });
      add({ ...r, rps: r.sessions_per_s, cpu_us_per_call: r.cpu_us_per_session, unit: 'session', group: 'churn' });
    }
  }

  // 5. Soak: steady mixed load; every response must arrive.
  if (runs('soak')) {
    await closedLoop(mcp, ['streamable-session', 'legacy-sse', 'streamable-sessionless'], PLAN.soakClients, 'soak', PLAN.soakMs, PLAN.warmupMs, 'soak');
    scenarios.at(-1)!.heap_after_mb = await heapAfterGcMb(mcp);
  }

  // 6. Idle sessions, on a fresh server so its RSS is theirs and not the heap of earlier scenarios.
  let idle: IdleSessionsRecord | null = null;
  if (runs('idle')) {
    await server.stop();
    server = await startServer();
    mcp = loadTarget(server);
    idle = await runIdleSessions(mcp, { count: PLAN.idle, concurrency: 50, deadlineMs: DEADLINE_MS * 3, probeCalls: 20, tool: TOOL, log });
    log(
      `idle-sessions: ${idle.opened}/${idle.count} open, server RSS ${idle.rss_before_mb} → ${idle.rss_mb} MiB (${idle.kb_per_session} KiB/session; heap after GC ${idle.heap_kb_per_session} KiB/session), errors ${idle.errors}, lost ${idle.lost}`,
    );
  }

  await Promise.allSettled([echo.stop(5000), server.stop(30_000)]);
  await plane?.stop();
  plane = undefined;

  // Ratios to the machine's limit: echo at the same number of clients, else the 50-client baseline.
  const echoAt = new Map(scenarios.filter((s) => s.transport === 'echo').map((s) => [s.clients, s.rps]));
  const baselineRecord = scenarios.find((s) => s.group === 'baseline');
  // Only closed loops of one call in flight per client compare with echo (not long-session's 8 on one session).
  const echoCpuAt = new Map(scenarios.filter((s) => s.transport === 'echo').map((s) => [s.clients, s.cpu_us_per_call]));
  for (const s of scenarios) {
    if (!['main', 'sweep', 'soak', 'peer'].includes(s.group) || s.transport === 'echo') continue;
    s.echo_ratio = ratio(s.rps, echoAt.get(s.clients) ?? baselineRecord?.rps);
    const echoCpu = echoCpuAt.get(s.clients) ?? baselineRecord?.cpu_us_per_call;
    s.echo_cpu_ratio = s.cpu_us_per_call === null || !echoCpu ? null : ratio(s.cpu_us_per_call, echoCpu);
  }

  addOursRatios(scenarios, MAIN_CLIENTS);

  const date = new Date();
  const partial = {
    meta: {
      date: date.toISOString(),
      mode: quick ? ('quick' as const) : ('full' as const),
      node: process.version,
      machine: {
        cpus: cpus().length,
        cpu_model: cpus()[0]?.model.trim() ?? 'unknown',
        memory_gib: Math.round(totalmem() / 2 ** 30),
        loadavg_before: loadBefore.map((v) => Math.round(v * 100) / 100),
      },
      git_commit: commitAtStart,
      server_flags: serverFlags,
      duration_s: Math.round((performance.now() - startedAt) / 1000),
      notes,
    },
    baseline: {
      rps: baselineRecord?.rps ?? 0,
      clients: baselineRecord?.clients ?? MAIN_CLIENTS,
      p50_ms: baselineRecord?.p50_ms ?? 0,
      p99_ms: baselineRecord?.p99_ms ?? 0,
      cpu_us_per_call: baselineRecord?.cpu_us_per_call ?? null,
    },
    scenarios,
    idle_sessions: idle,
    api_requests_per_1000_reads: api.api_requests !== null && api.reads ? Math.round((api.api_requests / api.reads) * 1000 * 100) / 100 : null,
    api_requests: api,
  };
  const results: BenchResults = { ...partial, ...evaluate(partial, targetDefs(partial.meta.mode, PLAN.idle)) };
  writeResults(results);

  for (const t of results.targets) log(`target ${t.skipped ? '–' : t.informational ? 'i' : t.ok ? '✓' : '✗'} ${t.target}: ${t.skipped ? 'not run' : t.actual}`);
  const failed = results.thresholds.filter((o) => !o.ok);
  for (const o of failed) log(formatOutcome(o));
  const weighed = results.targets.filter((t) => !t.skipped && !t.informational);
  const missed = weighed.filter((t) => !t.ok);
  log(
    `done in ${partial.meta.duration_s} s: ${failed.length ? `${failed.length} threshold(s) FAILED` : 'thresholds passed'}; ${missed.length} of ${weighed.length} targets missed`,
  );
  return failed.length || (values.strict && missed.length) ? 1 : 0;
}

/** A few seconds of calls that no figure counts: the watch cache synced, the code paths compiled. */
async function warmUp(target: LoadTarget, transport: TransportName): Promise<void> {
  await runClosedLoop(target, {
    name: 'warm-up',
    transport,
    clients: 4,
    durationMs: 1500,
    warmupMs: 0,
    callsPerSession: 0,
    tool: TOOL,
    deadlineMs: DEADLINE_MS,
  });
}

/** --profile: a new server (also kept in `server`, for cleanup), ready and warmed up on `transport`. */
async function freshWarmServer(
  serverOptions: McpServerOptions,
  known: Set<string>,
  transport: TransportName,
): Promise<{ child: ChildServer; target: LoadTarget }> {
  const child = await startMcpServer(serverOptions, known);
  server = child;
  await waitReady(child);
  const target = loadTarget(child);
  await warmUp(target, transport);
  return { child, target };
}

/**
 * --profile: each main scenario (50 clients) on a fresh server, with V8's CPU profiler running for
 * exactly the measured window, then churn (per session). Writes <out>/profiles/<name>.cpuprofile
 * and a summary <name>.txt in µs per call (per session for churn); latest.* are left alone (a
 * profiled server is a slower one).
 */
async function profileMainScenarios(_kubeconfigPath: string, serverOptions: McpServerOptions, known: Set<string>): Promise<number> {
  const dir = join(values.out, 'profiles');
  mkdirSync(dir, { recursive: true });
  let failed = 0;
  for (const transport of ['streamable-session', 'streamable-sessionless', 'legacy-sse'] as TransportName[]) {
    const { child, target } = await freshWarmServer(serverOptions, known, transport);
    let profiler: { stop(): Promise<unknown> } | undefined;
    let profile: Promise<unknown> | undefined;
    const start = setTimeout(() => void startCpuProfile(child.inspectorUrl!).then((p) => (profiler = p)), PLAN.warmupMs);
    const stop = setTimeout(() => (profile = profiler?.stop()), PLAN.warmupMs + PLAN.mainMs);
    const result = await runClosedLoop(target, {
      name: `${transport}-${MAIN_CLIENTS}`,
      transport,
      clients: MAIN_CLIENTS,
      durationMs: PLAN.mainMs,
      warmupMs: PLAN.warmupMs,
      callsPerSession: 0,
      tool: TOOL,
      deadlineMs: DEADLINE_MS,
      log,
    });
    clearTimeout(start);
    clearTimeout(stop);
    const cpu = (await (profile ?? profiler?.stop())) as CpuProfile | undefined;
    await child.stop();
    failed += result.errors + result.lost;
    if (!cpu) throw new Error(`no CPU profile for ${transport}`);
    writeFileSync(join(dir, `${transport}.cpuprofile`), JSON.stringify(cpu));
    const header = `${transport}, ${MAIN_CLIENTS} clients, ${result.duration_s} s profiled: ${result.rps} calls/s, p99 ${result.p99_ms} ms, server ${result.cpu_us_per_call} µs/call by /proc (profiler running), ${result.calls} calls\n`;
    writeFileSync(join(dir, `${transport}.txt`), header + renderSummary(summarizeProfile(cpu), result.calls, 30));
    log(`profile of ${transport}: ${join(dir, `${transport}.txt`)}`);
  }
  // Session set-up and tear-down: churn on a fresh server, profiled from start to end.
  for (const transport of ['streamable-session', 'legacy-sse'] as TransportName[]) {
    const { child, target } = await freshWarmServer(serverOptions, known, transport);
    const profiler = await startCpuProfile(child.inspectorUrl!);
    const result = await runChurn(
      { ...target, inspectorUrl: undefined },
      { name: `churn-${transport}`, transport, sessions: PLAN.churnSessions, concurrency: 20, tool: TOOL, deadlineMs: DEADLINE_MS, log },
    );
    const cpu = (await profiler.stop()) as CpuProfile;
    await child.stop();
    failed += result.errors + result.lost;
    const name = `churn-${transport}`;
    writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(cpu));
    const header = `${name}: ${result.sessions} sessions (open → tools/list → 1 call → close), ${result.sessions_per_s} sessions/s, server ${result.cpu_us_per_session} µs/session by /proc (profiler running); "per call" below = per session\n`;
    writeFileSync(join(dir, `${name}.txt`), header + renderSummary(summarizeProfile(cpu), result.sessions, 30));
    log(`profile of ${name}: ${join(dir, `${name}.txt`)}`);
  }
  server = undefined;
  await echo?.stop();
  await plane?.stop();
  plane = undefined;
  return failed ? 1 : 0;
}

function ratio(value: number, base: number | undefined): number | null {
  return base ? Math.round((value / base) * 1000) / 1000 : null;
}

function completedCalls(scenarios: ScenarioRecord[]): number {
  // Warm-up calls read too; scenario records count the measured window only, so count both.
  return scenarios.reduce((sum, s) => sum + (s.transport === 'echo' ? 0 : ((s.completed_total as number | undefined) ?? (s.calls as number))), 0);
}

interface ApiCount {
  source: ApiRequestsRecord['source'];
  requests: number;
  reads?: number;
}

/** Kubernetes API requests so far: the server's own counter when it serves /metrics, else kube-apiserver's count for CNPG clusters. */
async function countApiRequests(target: LoadTarget, kubeconfigPath: string): Promise<ApiCount | undefined> {
  const own: PromSample[] | undefined = await scrapeServer(target.http).catch(() => undefined);
  if (own?.some((s) => s.name === 'cnpg_mcp_kube_api_requests_total' || s.name === 'cnpg_mcp_cache_reads_total')) {
    return {
      source: 'server /metrics',
      requests: sumOf(own, 'cnpg_mcp_kube_api_requests_total'),
      reads: sumOf(own, 'cnpg_mcp_cache_reads_total', { kind: 'cluster' }),
    };
  }
  try {
    const samples = await scrapeApiserver(kubeconfigPath);
    return { source: 'kube-apiserver /metrics', requests: sumOf(samples, 'apiserver_request_total', { group: 'postgresql.cnpg.io', resource: 'clusters' }) };
  } catch (err) {
    log(`cannot read kube-apiserver /metrics: ${(err as Error).message}`);
    return undefined;
  }
}

function apiRecord(before: ApiCount | undefined, after: ApiCount | undefined, calls: number): ApiRequestsRecord {
  if (!before || !after || before.source !== after.source)
    return { source: 'unavailable', api_requests: null, reads: null, note: 'Neither the server nor kube-apiserver served metrics.' };
  const reads = before.reads !== undefined && after.reads !== undefined ? after.reads - before.reads : calls;
  if (before.source === 'server /metrics')
    return {
      source: before.source,
      api_requests: after.requests - before.requests,
      reads,
      note: 'Counted by the server: cnpg_mcp_kube_api_requests_total over cnpg_mcp_cache_reads_total{kind="cluster"}, across the three 50-client scenarios.',
    };
  return {
    source: before.source,
    api_requests: after.requests - before.requests,
    reads,
    note: 'The server does not serve /metrics yet, so requests were counted by kube-apiserver (apiserver_request_total for postgresql.cnpg.io clusters, every verb incl. WATCH, every client: the operator is included, so this is an upper bound) over the get_cluster_status calls the harness completed in the three 50-client scenarios.',
  };
}

/** The commit, with "+dirty" when src/ differs from it (the figures are then of uncommitted code). */
function gitCommit(): string | null {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: repoRoot, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit}+dirty` : commit;
  } catch {
    return null;
  }
}

function writeResults(results: BenchResults): void {
  mkdirSync(values.out, { recursive: true });
  const json = `${JSON.stringify(results, null, 2)}\n`;
  const latest = join(values.out, 'latest.json');
  writeFileSync(latest, json);
  const dated = join(values.out, `${results.meta.date.slice(0, 10)}-${results.meta.mode}.json`);
  copyFileSync(latest, dated);
  writeFileSync(join(values.out, 'latest.svg'), chartFor(results));
  writeFileSync(join(values.out, 'latest.md'), renderMarkdown(results, 'latest.svg'));
  log(`wrote ${latest}, ${dated}, latest.md and latest.svg`);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  async (err: unknown) => {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    if (server) log(`server output (last lines):\n${server.tail().slice(-30).join('\n')}`);
    await cleanup();
    process.exitCode = 1;
  },
);
