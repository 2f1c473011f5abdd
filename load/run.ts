// One load scenario against a server that is already running (yours, or one `npm run bench`
// would start). Loopback targets only. Exits 1 when a threshold fails.
//
//   npx tsx load/run.ts --url http://127.0.0.1:3000 --transport streamable-session --clients 50 \
//     --duration 10 --threshold 'errors==0' --threshold 'p99_ms<=20' [--pid <server pid>] [--token T]
import { parseArgs } from 'node:util';
import type { TransportName } from './lib/clients.js';
import { assertLoopback } from './lib/http.js';
import { runClosedLoop } from './lib/runner.js';
import { runChurn } from './lib/scenarios.js';
import { BENCH_CLUSTER } from './lib/setup.js';
import { allPassed, evaluateThresholds, formatOutcome, parseThreshold } from './lib/thresholds.js';

const TRANSPORTS: TransportName[] = ['legacy-sse', 'streamable-session', 'streamable-sessionless', 'echo'];

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:3000' },
    transport: { type: 'string', default: 'streamable-session' },
    scenario: { type: 'string', default: 'load' },
    clients: { type: 'string', default: '50' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    calls: { type: 'string', default: '0' },
    sessions: { type: 'string', default: '1000' },
    deadline: { type: 'string', default: '10' },
    tool: { type: 'string', default: 'get_cluster_status' },
    args: { type: 'string', default: JSON.stringify(BENCH_CLUSTER) },
    token: { type: 'string' },
    pid: { type: 'string' },
    threshold: { type: 'string', multiple: true, default: ['errors==0', 'lost==0'] },
    help: { type: 'boolean' },
  },
});

if (values.help) {
  process.stdout.write(`Usage: npx tsx load/run.ts [options]
  --url URL            server origin (loopback only)            default http://127.0.0.1:3000
  --scenario S         load | churn                            default load
  --transport T        ${TRANSPORTS.join(' | ')} (comma-separate several for a mixed run)
  --clients N          independent clients                     default 50
  --duration S         measured seconds (after --warmup S)     default 10
  --calls M            tool calls per session, then reconnect (0 = one session)  default 0
  --sessions N         churn: sessions per round               default 1000
  --deadline S         a response later than this is lost      default 10
  --tool NAME --args JSON   the call to load                   default get_cluster_status ${JSON.stringify(BENCH_CLUSTER)}
  --token T            bearer token (AUTH_TOKENS on the server)
  --pid PID            the server's pid, for CPU/call and RSS from /proc
  --threshold EXPR     repeatable, e.g. 'p99_ms<=20' 'rps>=6000' default errors==0, lost==0
`);
  process.exit(0);
}

const origin = new URL(values.url);
assertLoopback(origin);
const transports = values.transport.split(',') as TransportName[];
for (const t of transports) if (!TRANSPORTS.includes(t)) throw new Error(`unknown transport ${t}`);
const target = { http: { origin, token: values.token }, pid: values.pid ? Number(values.pid) : undefined };
const tool = { name: values.tool, args: JSON.parse(values.args) as Record<string, unknown> };
const log = (line: string) => process.stderr.write(`${line}\n`);

const result =
  values.scenario === 'churn'
    ? await runChurn(target, {
        name: `churn-${transports[0]}`,
        transport: transports[0]!,
        sessions: Number(values.sessions),
        concurrency: Number(values.clients),
        tool,
        deadlineMs: Number(values.deadline) * 1000,
        log,
      })
    : await runClosedLoop(target, {
        name: `${transports.length > 1 ? 'mixed' : transports[0]}-${values.clients}`,
        transport: transports.length > 1 ? transports : transports[0]!,
        clients: Number(values.clients),
        durationMs: Number(values.duration) * 1000,
        warmupMs: Number(values.warmup) * 1000,
        callsPerSession: Number(values.calls),
        tool,
        deadlineMs: Number(values.deadline) * 1000,
        setupConcurrency: 50,
        log,
      });

process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
const outcomes = evaluateThresholds(values.threshold.map(parseThreshold), [result as unknown as { name: string }]);
for (const o of outcomes) log(formatOutcome(o));
process.exitCode = allPassed(outcomes) ? 0 : 1;
