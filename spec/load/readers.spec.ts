// The small readers the harness's figures rest on: /proc, Prometheus text, CPU profiles, the chart.
import { describe, expect, it } from 'vitest';
import { linearTicks, logTicks, renderChart } from '../../load/lib/chart.js';
import { originOf, summarizeProfile, type CpuProfile } from '../../load/lib/cpuprofile.js';
import { parsePrometheus, sumOf } from '../../load/lib/prometheus.js';
import { parseCpuTicks, parseRssKb, processCpuMicros, processOpenFds, processRssMb } from '../../load/lib/proc.js';

describe('/proc readers', () => {
  it('counts stat fields after the last ")" of the command name, which may hold spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3)); // field 3 (state) onwards
    fields[11] = '700'; // utime, field 14
    fields[12] = '42'; // stime, field 15
    expect(parseCpuTicks(`1234 (node (x) y) ${fields.join(' ')}`)).toBe(742);
  });

  it('reads VmRSS in kB', () => {
    expect(parseRssKb('Name:\tnode\nVmPeak:\t  999 kB\nVmRSS:\t  51234 kB\nThreads: 7\n')).toBe(51234);
    expect(() => parseRssKb('Name: x\n')).toThrow(/VmRSS/);
  });

  it('reads this very process', () => {
    expect(processCpuMicros(process.pid)).toBeGreaterThan(0);
    expect(processRssMb(process.pid)).toBeGreaterThan(10);
    expect(processOpenFds(process.pid)).toBeGreaterThan(2);
  });
});

describe('Prometheus text', () => {
  const text = [
    '# HELP cnpg_mcp_kube_api_requests_total Requests this server sent to the Kubernetes API, by verb',
    '# TYPE cnpg_mcp_kube_api_requests_total counter',
    'cnpg_mcp_kube_api_requests_total{verb="get"} 3',
    'cnpg_mcp_kube_api_requests_total{verb="list"} 2',
    'cnpg_mcp_cache_reads_total{kind="cluster",result="hit"} 998',
    'cnpg_mcp_cache_reads_total{kind="cluster",result="miss"} 2',
    'cnpg_mcp_cache_reads_total{kind="backup",result="hit"} 5',
    'odd_label{path="a \\"quoted\\" ,b}"} 1',
    'up 1',
  ].join('\n');

  it('sums a counter over all its series, or over those with given labels', () => {
    const samples = parsePrometheus(text);
    expect(sumOf(samples, 'cnpg_mcp_kube_api_requests_total')).toBe(5);
    expect(sumOf(samples, 'cnpg_mcp_cache_reads_total', { kind: 'cluster' })).toBe(1000);
    expect(sumOf(samples, 'cnpg_mcp_cache_reads_total', { kind: 'cluster', result: 'miss' })).toBe(2);
    expect(sumOf(samples, 'absent')).toBe(0);
    expect(samples.find((s) => s.name === 'odd_label')?.labels.path).toBe('a "quoted" ,b}');
    expect(samples.find((s) => s.name === 'up')).toEqual({ name: 'up', labels: {}, value: 1 });
  });
});

describe('CPU profile summary', () => {
  it('names where code comes from', () => {
    expect(originOf('file:///w/node_modules/@modelcontextprotocol/server/dist/index.mjs', 'f')).toBe('MCP SDK (server)');
    expect(originOf('file:///w/node_modules/@modelcontextprotocol/node/node_modules/@hono/node-server/dist/index.mjs', 'f')).toBe('@hono/node-server');
    expect(originOf('file:///w/src/http/app.ts', 'f')).toBe('ours (src/)');
    expect(originOf('file:///w/dist/http/app.js', 'f')).toBe('ours (src/)');
    expect(originOf('node:internal/streams/writable', 'f')).toBe('node core');
    expect(originOf('', '(garbage collector)')).toBe('gc');
  });

  it('adds self time to the leaf and total time once to every frame on the stack', () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0, columnNumber: 0 });
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', ''), children: [2, 4] },
        { id: 2, callFrame: frame('handle', 'file:///w/src/http/app.ts'), children: [3] },
        { id: 3, callFrame: frame('parse', 'file:///w/node_modules/zod/v4/core/schemas.js') },
        { id: 4, callFrame: frame('(idle)', '') },
      ],
      startTime: 0,
      endTime: 100,
      samples: [3, 3, 2, 4, 4],
      timeDeltas: [0, 10, 10, 10, 10, 10], // the delta after each sample is its weight
    };
    const summary = summarizeProfile(profile);
    expect([summary.busyUs, summary.idleUs]).toEqual([30, 20]);
    const byName = Object.fromEntries(summary.frames.map((f) => [f.frame.split(' ')[0], f]));
    expect(byName.parse).toMatchObject({ self: 20, total: 20, origin: 'zod' });
    expect(byName.handle).toMatchObject({ self: 10, total: 30, origin: 'ours (src/)' });
    expect(summary.origins).toEqual([
      { origin: 'zod', self: 20 },
      { origin: 'ours (src/)', self: 10 },
    ]);
  });
});

describe('chart', () => {
  it('picks round linear ticks and whole decades', () => {
    expect(linearTicks(6800)).toEqual([0, 2000, 4000, 6000, 8000]);
    expect(linearTicks(17_249)).toEqual([0, 5000, 10_000, 15_000, 20_000]);
    expect(logTicks(0.28, 416)).toEqual([0.1, 1, 10, 100, 1000]);
  });

  it('draws one line per series in both panels, and a legend entry each', () => {
    const series = [
      {
        label: 'echo (machine limit)',
        color: '#999',
        dashed: true,
        points: [
          [1, 9000],
          [10, 14000],
          [100, 16000],
          [1000, 13000],
        ] as [number, number][],
      },
      {
        label: 'legacy-sse',
        color: '#c00',
        points: [
          [1, 2000],
          [10, 3900],
          [100, 4300],
          [1000, 3800],
        ] as [number, number][],
      },
    ];
    const svg = renderChart('title & more', [
      { title: 'Throughput', unit: 'calls/s', log: false, series },
      { title: 'p99', unit: 'ms', log: true, series },
    ]);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<path /g)).toHaveLength(4);
    expect(svg.match(/<circle /g)).toHaveLength(16);
    expect(svg).toContain('title &amp; more');
    expect(svg).toContain('>1,000<');
  });
});
