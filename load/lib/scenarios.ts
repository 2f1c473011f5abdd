// The scenarios that are not a plain closed loop: session churn (leaks), idle sessions (memory
// per session) and one long session (memory growth with the number of calls).
import { createClient, LegacySseClient, type LoadClient, type TransportName } from './clients.js';
import { keepAliveAgent } from './http.js';
import { processCpuMicros, processOpenFds, processRssMb } from './proc.js';
import { heapAfterGcMb, type LoadTarget, type ToolCall } from './runner.js';
import { inPool, round, sleep, Tally } from './tally.js';
import { Watchdog } from './watchdog.js';

export interface ChurnSpec {
  name: string;
  transport: TransportName;
  /** Sessions per round; two rounds run, the second shows whether memory keeps growing. */
  sessions: number;
  concurrency: number;
  tool: ToolCall;
  deadlineMs: number;
  log?: (line: string) => void;
}

export interface ChurnResult {
  name: string;
  transport: TransportName;
  clients: number;
  sessions: number;
  /** Sessions opened, used and closed per second. */
  sessions_per_s: number;
  /** Latency of one whole session: open → tools/list → one call → close. */
  p50_ms: number;
  p99_ms: number;
  errors: number;
  lost: number;
  cpu_us_per_session: number | null;
  rss_before_mb: number | null;
  rss_after_round1_mb: number | null;
  rss_mb: number | null;
  /** RSS growth over the second round per 1,000 sessions: steady state shows ~0. */
  rss_growth_mb_per_1000: number | null;
  fds_before: number | null;
  fds_after: number | null;
  /** JS heap after a full GC: before, after round 1, after round 2 (MiB). */
  heap_mb: [number | null, number | null, number | null];
  /** Heap growth over the second round per 1,000 sessions (MiB): a leak shows here, whatever RSS does. */
  heap_growth_mb_per_1000: number | null;
  error_samples?: string[];
}

/** Opens and closes `sessions` sessions twice; what the server keeps afterwards is a leak. */
export async function runChurn(target: LoadTarget, spec: ChurnSpec): Promise<ChurnResult> {
  const pid = target.pid;
  const watchdog = new Watchdog();
  const tally = new Tally();
  const fdsBefore = pid ? processOpenFds(pid) : null;
  const heapBefore = await heapAfterGcMb(target);
  const rssBefore = pid ? processRssMb(pid) : null;
  const round1 = async () => {
    await inPool(spec.sessions, spec.concurrency, async () => {
      const client = createClient(spec.transport, { target: target.http, watchdog, deadlineMs: spec.deadlineMs });
      const startedAt = performance.now();
      try {
        await client.open();
        await client.listTools();
        await client.callTool(spec.tool.name, spec.tool.args);
        await client.close();
        tally.ok(startedAt, performance.now());
      } catch (err) {
        tally.fail(err);
        await client.close();
      }
    });
  };
  await round1();
  const rssAfter1 = pid ? processRssMb(pid) : null;
  const heapAfter1 = await heapAfterGcMb(target);
  const cpuStart = pid ? processCpuMicros(pid) : null;
  const startedAt = performance.now();
  await round1();
  const seconds = (performance.now() - startedAt) / 1000;
  const cpuUs = pid && cpuStart !== null ? processCpuMicros(pid) - cpuStart : null;
  // Closing is asynchronous on the server: give its sockets a moment to go before counting them.
  let fdsAfter = pid ? processOpenFds(pid) : null;
  for (let waited = 0; pid && fdsBefore !== null && fdsAfter !== null && fdsAfter > fdsBefore && waited < 5000; waited += 100) {
    await sleep(100);
    fdsAfter = processOpenFds(pid);
  }
  const rssAfter = pid ? processRssMb(pid) : null;
  const heapAfter = await heapAfterGcMb(target);
  watchdog.stop();
  const summary = tally.latency.summary();
  spec.log?.(
    `${spec.name}: ${tally.calls} sessions, fds ${fdsBefore} → ${fdsAfter}, RSS ${rssBefore?.toFixed(0)} → ${rssAfter?.toFixed(0)} MiB, heap after GC ${heapBefore} → ${heapAfter1} → ${heapAfter} MiB`,
  );
  return {
    name: spec.name,
    transport: spec.transport,
    clients: spec.concurrency,
    sessions: spec.sessions * 2,
    sessions_per_s: round(spec.sessions / seconds, 0),
    p50_ms: round(summary.p50 / 1000),
    p99_ms: round(summary.p99 / 1000),
    errors: tally.errors,
    lost: tally.lost,
    cpu_us_per_session: cpuUs === null ? null : round(cpuUs / spec.sessions, 0),
    rss_before_mb: rssBefore === null ? null : round(rssBefore, 1),
    rss_after_round1_mb: rssAfter1 === null ? null : round(rssAfter1, 1),
    rss_mb: rssAfter === null ? null : round(rssAfter, 1),
    rss_growth_mb_per_1000: rssAfter !== null && rssAfter1 !== null ? round(((rssAfter - rssAfter1) * 1000) / spec.sessions, 2) : null,
    fds_before: fdsBefore,
    fds_after: fdsAfter,
    heap_mb: [heapBefore, heapAfter1, heapAfter],
    heap_growth_mb_per_1000: heapAfter !== null && heapAfter1 !== null ? round(((heapAfter - heapAfter1) * 1000) / spec.sessions, 2) : null,
    ...(tally.samples.length ? { error_samples: tally.samples } : {}),
  };
}

export interface IdleSpec {
  count: number;
  concurrency: number;
  deadlineMs: number;
  /** A few sessions make a call after all are open, to show idle sessions still work. */
  probeCalls: number;
  tool: ToolCall;
  log?: (line: string) => void;
}

export interface IdleResult {
  count: number;
  /** Sessions actually open at the end. */
  opened: number;
  rss_mb: number | null;
  rss_before_mb: number | null;
  kb_per_session: number | null;
  /** JS heap after a full GC before opening and with every session open (MiB). */
  heap_before_mb: number | null;
  heap_mb: number | null;
  heap_kb_per_session: number | null;
  open_s: number;
  errors: number;
  lost: number;
  error_samples?: string[];
}

/** Opens `count` legacy SSE sessions (stream + initialize) and leaves them idle. */
export async function runIdleSessions(target: LoadTarget, spec: IdleSpec): Promise<IdleResult> {
  const pid = target.pid;
  const watchdog = new Watchdog();
  const tally = new Tally();
  // One stream socket per session is unavoidable; the POSTs share a small pool.
  const agent = keepAliveAgent(32);
  const clients: LegacySseClient[] = [];
  const heapBefore = await heapAfterGcMb(target);
  const rssBefore = pid ? processRssMb(pid) : null;
  const startedAt = performance.now();
  let lastLog = startedAt;
  await inPool(spec.count, spec.concurrency, async () => {
    const client = new LegacySseClient({ target: target.http, watchdog, deadlineMs: spec.deadlineMs, agent });
    try {
      await client.open();
      clients.push(client);
    } catch (err) {
      tally.fail(err);
      await client.close();
    }
    if (performance.now() - lastLog > 5000) {
      lastLog = performance.now();
      spec.log?.(`idle: ${clients.length}/${spec.count} open, server RSS ${pid ? processRssMb(pid).toFixed(0) : '?'} MiB`);
    }
  });
  const openSeconds = (performance.now() - startedAt) / 1000;
  // Let allocation from the opening burst settle, then take the larger of two readings.
  await sleep(1000);
  const rssA = pid ? processRssMb(pid) : null;
  await sleep(1000);
  const rssB = pid ? processRssMb(pid) : null;
  const rss = rssA !== null && rssB !== null ? Math.max(rssA, rssB) : null;
  const heap = await heapAfterGcMb(target);
  for (const client of clients.slice(0, spec.probeCalls)) {
    try {
      await client.callTool(spec.tool.name, spec.tool.args);
    } catch (err) {
      tally.fail(err);
    }
  }
  spec.log?.(`idle: ${clients.length} sessions open, server RSS ${rss?.toFixed(0)} MiB; closing`);
  await inPool(clients.length, 500, async (i) => clients[i]!.close());
  agent.destroy();
  watchdog.stop();
  return {
    count: spec.count,
    opened: clients.length,
    rss_mb: rss === null ? null : round(rss, 1),
    rss_before_mb: rssBefore === null ? null : round(rssBefore, 1),
    kb_per_session: rss !== null && rssBefore !== null && clients.length ? round(((rss - rssBefore) * 1024) / clients.length, 1) : null,
    heap_before_mb: heapBefore,
    heap_mb: heap,
    heap_kb_per_session: heap !== null && heapBefore !== null && clients.length ? round(((heap - heapBefore) * 1024) / clients.length, 1) : null,
    open_s: round(openSeconds, 1),
    errors: tally.errors,
    lost: tally.lost,
    ...(tally.samples.length ? { error_samples: tally.samples } : {}),
  };
}

export interface LongSessionSpec {
  name: string;
  transport: TransportName;
  /** Call counts at which RSS is read; the last one ends the scenario (e.g. 20,000 and 200,000). */
  checkpoints: number[];
  /** Calls kept in flight on the one session. */
  inflight: number;
  tool: ToolCall;
  deadlineMs: number;
  log?: (line: string) => void;
}

export interface LongSessionResult {
  name: string;
  transport: TransportName;
  clients: number;
  calls: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  lost: number;
  cpu_us_per_call: number | null;
  rss_mb: number | null;
  rss_at: { calls: number; rss_mb: number | null; heap_mb: number | null }[];
  /** RSS at the last checkpoint ÷ RSS at the first, minus one, in %. */
  rss_growth_pct: number | null;
  /** The same for the JS heap after a full GC. */
  heap_growth_pct: number | null;
  error_samples?: string[];
}

/** Many calls on one session, several in flight: does the server keep something per call? */
export async function runLongSession(target: LoadTarget, spec: LongSessionSpec): Promise<LongSessionResult> {
  const pid = target.pid;
  const watchdog = new Watchdog();
  const tally = new Tally();
  const client: LoadClient = createClient(spec.transport, {
    target: target.http,
    watchdog,
    deadlineMs: spec.deadlineMs,
    agent: keepAliveAgent(spec.inflight + 2),
  });
  await client.open();
  await client.listTools();
  const total = spec.checkpoints[spec.checkpoints.length - 1]!;
  const rssAt: { calls: number; rss_mb: number | null; heap_mb: number | null }[] = [];
  let issued = 0;
  let finished = 0;
  let next = 0;
  const cpuStart = pid ? processCpuMicros(pid) : null;
  const startedAt = performance.now();
  const loop = async () => {
    while (issued < total) {
      issued++;
      const t0 = performance.now();
      try {
        await client.callTool(spec.tool.name, spec.tool.args);
        tally.ok(t0, performance.now());
      } catch (err) {
        tally.fail(err);
      }
      finished++;
      if (next < spec.checkpoints.length && finished >= spec.checkpoints[next]!) {
        const at = { calls: spec.checkpoints[next]!, rss_mb: pid ? round(processRssMb(pid), 1) : null, heap_mb: null as number | null };
        next++;
        rssAt.push(at);
        // The other loops keep calling meanwhile: the GC pause lands in this scenario's p99.
        at.heap_mb = await heapAfterGcMb(target);
        spec.log?.(`${spec.name}: ${finished} calls, server RSS ${at.rss_mb} MiB, heap after GC ${at.heap_mb} MiB`);
      }
    }
  };
  await Promise.all(Array.from({ length: spec.inflight }, loop));
  const seconds = (performance.now() - startedAt) / 1000;
  const cpuUs = pid && cpuStart !== null ? processCpuMicros(pid) - cpuStart : null;
  await client.close();
  watchdog.stop();
  const first = rssAt[0]?.rss_mb ?? null;
  const last = rssAt.at(-1)?.rss_mb ?? null;
  const firstHeap = rssAt[0]?.heap_mb ?? null;
  const lastHeap = rssAt.at(-1)?.heap_mb ?? null;
  const summary = tally.latency.summary();
  return {
    name: spec.name,
    transport: spec.transport,
    clients: 1,
    calls: finished,
    rps: round(finished / seconds, 0),
    p50_ms: round(summary.p50 / 1000),
    p99_ms: round(summary.p99 / 1000),
    errors: tally.errors,
    lost: tally.lost,
    cpu_us_per_call: cpuUs === null ? null : round(cpuUs / finished, 1),
    rss_mb: last,
    rss_at: rssAt,
    rss_growth_pct: first !== null && last !== null ? round((last / first - 1) * 100, 1) : null,
    heap_growth_pct: firstHeap !== null && lastHeap !== null ? round((lastHeap / firstHeap - 1) * 100, 1) : null,
    ...(tally.samples.length ? { error_samples: tally.samples } : {}),
  };
}
