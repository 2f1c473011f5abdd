// The closed-loop driver: N independent clients, each with its own connections and session,
// each sending its next call as soon as the previous one is answered (initialize → tools/list →
// M calls → close → again). Setup and a warm-up come first; figures cover the measured window.
import type http from 'node:http';
import { createClient, type LoadClient, type TransportName } from './clients.js';
import { keepAliveAgent, type HttpTarget } from './http.js';
import { heapAfterGc } from './inspector.js';
import { processRssMb, sampleProcess, type ProcessSample } from './proc.js';
import { inPool, round, sleep, Tally } from './tally.js';
import { Watchdog } from './watchdog.js';

export interface ToolCall {
  name: string;
  args: Record<string, unknown>;
}

export interface LoadTarget {
  http: HttpTarget;
  /** The server's pid, for CPU and RSS from /proc. Absent: those figures are null. */
  pid?: number;
  /** The server's V8 inspector, for the heap after a full GC. Absent: those figures are null. */
  inspectorUrl?: string;
}

/** The server's JS heap in use after a full GC, in MiB; null when it cannot be had. */
export async function heapAfterGcMb(target: LoadTarget): Promise<number | null> {
  if (!target.inspectorUrl) return null;
  try {
    return round((await heapAfterGc(target.inspectorUrl)).usedMb, 1);
  } catch {
    return null;
  }
}

export interface ClosedLoopSpec {
  name: string;
  /** One transport, or several: clients are assigned round-robin (a mixed soak). */
  transport: TransportName | TransportName[];
  clients: number;
  durationMs: number;
  warmupMs: number;
  /** Tool calls per session before the client closes it and opens a new one; 0 = one session per client for the whole run. */
  callsPerSession: number;
  /** Calls each client keeps in flight at once (1 = strictly sequential). Only with callsPerSession 0. */
  inflightPerClient?: number;
  tool: ToolCall;
  /** A response not in by then is lost. */
  deadlineMs: number;
  /** Sessions opened at once during setup. */
  setupConcurrency?: number;
  /** All clients share one POST agent with this many sockets (keeps file descriptors bounded). */
  sharedSockets?: number;
  /** Also sample throughput and the server's RSS every this many ms (for soaks). */
  sampleEveryMs?: number;
  /** Printed while running. */
  log?: (line: string) => void;
}

export interface IntervalSample {
  t_s: number;
  rps: number;
  rss_mb: number | null;
  errors: number;
  lost: number;
}

export interface ScenarioResult {
  name: string;
  transport: string;
  clients: number;
  rps: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
  calls: number;
  /** Successful calls including warm-up and those finishing after the window. */
  completed_total: number;
  errors: number;
  lost: number;
  cpu_us_per_call: number | null;
  rss_mb: number | null;
  /** CPU the harness itself used in the window, in % of one core: near 100 means the harness, not the server, was the limit. */
  harness_cpu_pct: number;
  server_cpu_pct: number | null;
  duration_s: number;
  error_samples?: string[];
  samples?: IntervalSample[];
  [extra: string]: unknown;
}

export async function runClosedLoop(target: LoadTarget, spec: ClosedLoopSpec): Promise<ScenarioResult> {
  const log = spec.log ?? (() => {});
  const transports = Array.isArray(spec.transport) ? spec.transport : [spec.transport];
  const inflight = spec.inflightPerClient ?? 1;
  if (inflight > 1 && spec.callsPerSession > 0) throw new Error('inflightPerClient > 1 needs callsPerSession 0');
  const watchdog = new Watchdog();
  const tally = new Tally();
  const shared: http.Agent | undefined = spec.sharedSockets ? keepAliveAgent(spec.sharedSockets) : undefined;
  const clients: LoadClient[] = Array.from({ length: spec.clients }, (_, i) =>
    createClient(transports[i % transports.length]!, { target: target.http, watchdog, deadlineMs: spec.deadlineMs, agent: shared }),
  );
  const isOpen = new Array<boolean>(spec.clients).fill(false);

  const open = async (i: number): Promise<boolean> => {
    try {
      await clients[i]!.open();
      await clients[i]!.listTools();
      isOpen[i] = true;
      return true;
    } catch (err) {
      tally.fail(err);
      await clients[i]!.close();
      return false;
    }
  };

  // Setup: every client opens its session before the clock starts.
  const setupStart = performance.now();
  await inPool(spec.clients, spec.setupConcurrency ?? 50, async (i) => void (await open(i)));
  log(`${spec.name}: ${isOpen.filter(Boolean).length}/${spec.clients} clients ready in ${((performance.now() - setupStart) / 1000).toFixed(1)} s`);

  const windowStart = performance.now() + spec.warmupMs;
  const windowEnd = windowStart + spec.durationMs;
  let cpuStart: ProcessSample | undefined;
  let cpuEnd: ProcessSample | undefined;
  let harnessStart: NodeJS.CpuUsage | undefined;
  let harnessEnd: NodeJS.CpuUsage | undefined;
  const sample = () => (target.pid ? sampleProcess(target.pid) : undefined);
  const startTimer = setTimeout(() => {
    cpuStart = sample();
    harnessStart = process.cpuUsage();
  }, spec.warmupMs);
  const endTimer = setTimeout(() => {
    cpuEnd = sample();
    harnessEnd = process.cpuUsage(harnessStart);
  }, spec.warmupMs + spec.durationMs);

  // Throughput and RSS over time (soak): calls completed per interval.
  const samples: IntervalSample[] = [];
  let completedTotal = 0;
  let sampler: NodeJS.Timeout | undefined;
  if (spec.sampleEveryMs) {
    let lastCount = 0;
    let lastAt = performance.now();
    sampler = setInterval(() => {
      const now = performance.now();
      if (now < windowStart) {
        lastCount = completedTotal;
        lastAt = now;
        return;
      }
      samples.push({
        t_s: round((now - windowStart) / 1000, 1),
        rps: round(((completedTotal - lastCount) * 1000) / (now - lastAt), 0),
        rss_mb: target.pid ? round(processRssMb(target.pid), 1) : null,
        errors: tally.errors,
        lost: tally.lost,
      });
      lastCount = completedTotal;
      lastAt = now;
    }, spec.sampleEveryMs);
  }

  const callLoop = async (i: number) => {
    const client = clients[i]!;
    let inSession = 0;
    while (performance.now() < windowEnd) {
      if (!isOpen[i] || (spec.callsPerSession > 0 && inSession >= spec.callsPerSession)) {
        if (isOpen[i]) {
          isOpen[i] = false;
          await client.close();
        }
        inSession = 0;
        if (!(await open(i))) {
          await sleep(50); // a refused open must not spin
          continue;
        }
      }
      const startedAt = performance.now();
      try {
        await client.callTool(spec.tool.name, spec.tool.args);
        const endedAt = performance.now();
        completedTotal++;
        if (startedAt >= windowStart && endedAt <= windowEnd) tally.ok(startedAt, endedAt);
      } catch (err) {
        const kind = tally.fail(err);
        // The session may be gone with the connection: start a new one.
        if ((kind === 'lost' || kind === 'network') && inflight === 1) isOpen[i] = false;
        await sleep(10);
      }
      inSession++;
    }
  };
  await Promise.all(clients.flatMap((_, i) => Array.from({ length: inflight }, () => callLoop(i))));
  clearTimeout(startTimer);
  clearTimeout(endTimer);
  // The loops stop at windowEnd by their own clock; the end timer may not have fired yet.
  if (harnessStart && !harnessEnd) {
    cpuEnd = sample();
    harnessEnd = process.cpuUsage(harnessStart);
  }
  clearInterval(sampler);
  const rssMb = target.pid ? processRssMb(target.pid) : null;

  await inPool(spec.clients, spec.setupConcurrency ?? 50, async (i) => {
    if (isOpen[i]) await clients[i]!.close();
  });
  shared?.destroy();
  watchdog.stop();

  const seconds = spec.durationMs / 1000;
  const serverCpuUs = cpuStart && cpuEnd ? cpuEnd.cpuUs - cpuStart.cpuUs : null;
  const harnessUs = harnessEnd ? harnessEnd.user + harnessEnd.system : 0;
  const summary = tally.latency.summary();
  return {
    name: spec.name,
    transport: transports.length === 1 ? transports[0]! : 'mixed',
    clients: spec.clients,
    rps: round(tally.calls / seconds, 0),
    p50_ms: round(summary.p50 / 1000),
    p95_ms: round(summary.p95 / 1000),
    p99_ms: round(summary.p99 / 1000),
    max_ms: round(summary.max / 1000),
    calls: tally.calls,
    completed_total: completedTotal,
    errors: tally.errors,
    lost: tally.lost,
    cpu_us_per_call: serverCpuUs !== null && tally.calls > 0 ? round(serverCpuUs / tally.calls, 1) : null,
    rss_mb: rssMb === null ? null : round(rssMb, 1),
    harness_cpu_pct: round((harnessUs / (seconds * 1e6)) * 100, 0),
    server_cpu_pct: serverCpuUs === null ? null : round((serverCpuUs / (seconds * 1e6)) * 100, 0),
    duration_s: seconds,
    ...(tally.samples.length ? { error_samples: tally.samples } : {}),
    ...(samples.length ? { samples } : {}),
  };
}
