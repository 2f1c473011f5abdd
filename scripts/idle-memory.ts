// What an idle legacy-SSE session costs the HTTP server in memory, without a cluster: the
// benchmark's idle scenario (load/lib/scenarios.ts, runIdleSessions) against the compiled server
// started as the benchmark starts it, once per count on a fresh server. Idle sessions never call
// the Kubernetes API, so the server gets a kubeconfig that points nowhere.
//   npx tsx scripts/idle-memory.ts [counts, default 1000,5000,10000]
// Loopback only. Build first: npx tsc -p tsconfig.build.json
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMcpServer } from '../load/lib/processes.js';
import { runIdleSessions } from '../load/lib/scenarios.js';
import { writeUnreachableKubeconfig } from '../load/lib/unreachable-kubeconfig.js';

const counts = (process.argv[2] ?? '1000,5000,10000').split(',').map(Number);

const dir = mkdtempSync(join(tmpdir(), 'idle-memory-'));
const kubeconfigPath = writeUnreachableKubeconfig(dir);

try {
  console.log('sessions  RSS MiB before → open  KiB/session  heap MiB before → open  heap KiB/session  errors');
  for (const count of counts) {
    const server = await startMcpServer({ kubeconfigPath, maxSessions: count + 100, inspect: true });
    try {
      const r = await runIdleSessions(
        { http: { origin: server.url }, pid: server.pid, inspectorUrl: server.inspectorUrl },
        // No probe calls: there is no cluster to answer them.
        { count, concurrency: 50, deadlineMs: 30_000, probeCalls: 0, tool: { name: 'get_cluster_status', args: {} } },
      );
      console.log(
        `${String(r.opened).padStart(8)}  ${`${r.rss_before_mb} → ${r.rss_mb}`.padStart(20)}  ${String(r.kb_per_session).padStart(11)}  ${`${r.heap_before_mb} → ${r.heap_mb}`.padStart(22)}  ${String(r.heap_kb_per_session).padStart(16)}  ${r.errors + r.lost}`,
      );
    } finally {
      await server.stop();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
