import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { arch, platform } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  addOursRatios,
  listeningPort,
  namesCluster,
  parseListeningSockets,
  peerArgs,
  peerBinary,
  peerEnv,
  peerScenarios,
  peerTool,
  RAISED_QPS,
  socketInodes,
  toolResultText,
} from '../../load/lib/peer.js';

const CLUSTER = { name: 'bench-pg', namespace: 'default' };

describe('the peer command line and environment', () => {
  it('binds loopback on an ephemeral port, read-only, the one kubeconfig cluster', () => {
    const args = peerArgs({ kubeconfigPath: '/tmp/kc', qps: 'as-shipped' });
    const flag = (name: string) => args[args.indexOf(name) + 1];
    expect(flag('--bind-address')).toBe('127.0.0.1');
    expect(flag('--port')).toBe('0');
    expect(flag('--kubeconfig')).toBe('/tmp/kc');
    expect(flag('--cluster-provider')).toBe('kubeconfig');
    expect(args).toContain('--read-only');
  });

  it('drops an inherited limiter setting as shipped and sets the raised one only when asked', () => {
    const base = { PATH: '/bin', KUBE_CLIENT_QPS: '1', KUBE_CLIENT_BURST: '2' };
    const shipped = peerEnv(base, 'as-shipped');
    expect(shipped.KUBE_CLIENT_QPS).toBeUndefined();
    expect(shipped.KUBE_CLIENT_BURST).toBeUndefined();
    expect(shipped.PATH).toBe('/bin');
    expect(peerEnv(base, 'raised')).toMatchObject(RAISED_QPS);
    expect(base.KUBE_CLIENT_QPS).toBe('1');
  });

  it('reads the bench Cluster with resources_get by group/version and kind', () => {
    expect(peerTool(CLUSTER)).toEqual({
      name: 'resources_get',
      args: { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', namespace: 'default', name: 'bench-pg' },
    });
  });

  it('runs the raised limiter at the main client count and the shipped one where its queue fits the deadline', () => {
    expect(peerScenarios(50)).toEqual([
      { name: 'peer-raised-qps-50', qps: 'raised', clients: 50 },
      { name: 'peer-as-shipped-5', qps: 'as-shipped', clients: 5 },
    ]);
  });

  it.skipIf(platform() !== 'linux' || arch() !== 'x64')('finds the packaged binary, executable (linux x64 only)', () => {
    expect(() => accessSync(peerBinary(), constants.X_OK)).not.toThrow();
  });
});

describe('finding the port a process listens on', () => {
  const sample = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:8D0B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 100 0 0 10 0',
    '   1: 0100007F:8D0C 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 4343 3 0 21 4 1 69 -1',
    '   2: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1457 1 0 100 0 0 10 0',
  ].join('\n');

  it('parses listening IPv4 sockets, address and port from little-endian hex, established ones left out', () => {
    expect(parseListeningSockets(sample)).toEqual([
      { address: '127.0.0.1', port: 0x8d0b, inode: 4242 },
      { address: '0.0.0.0', port: 2024, inode: 1457 },
    ]);
  });

  it('keeps only socket links', () => {
    expect([...socketInodes(['socket:[4242]', 'pipe:[7]', '/dev/null', 'socket:[1457]'])]).toEqual([4242, 1457]);
  });

  it.skipIf(platform() !== 'linux')('finds the port of a real server in this process (Linux /proc only)', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      expect(listeningPort(process.pid)).toBe((server.address() as AddressInfo).port);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("reading the peer's answer", () => {
  const yaml = 'apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: bench-pg\n  namespace: default\nspec:\n  instances: 1\n';

  it('takes the text of the answer with the id asked for, from SSE data lines or a JSON body', () => {
    const message = (id: number, text: string) => JSON.stringify({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text }] } });
    const sse = `event: message\ndata: ${message(1, 'other')}\n\nevent: message\ndata: ${message(2, yaml)}\n\n`;
    expect(toolResultText(sse, 2)).toEqual({ text: yaml, isError: false });
    expect(toolResultText(message(2, yaml), 2)).toEqual({ text: yaml, isError: false });
  });

  it('reports tool errors and JSON-RPC errors as errors, and a body without the answer as a failure', () => {
    const isError = JSON.stringify({ jsonrpc: '2.0', id: 2, result: { isError: true, content: [{ type: 'text', text: 'forbidden' }] } });
    expect(toolResultText(isError, 2)).toEqual({ text: 'forbidden', isError: true });
    expect(toolResultText(JSON.stringify({ jsonrpc: '2.0', id: 2, error: { code: -32602, message: 'bad' } }), 2)).toEqual({ text: 'bad', isError: true });
    expect(() => toolResultText('event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\n\n', 2)).toThrow(/no answer with id 2/);
  });

  it('accepts the Cluster asked for and nothing else', () => {
    expect(namesCluster(yaml, CLUSTER)).toBe(true);
    expect(namesCluster(yaml.replace('bench-pg', 'other-pg'), CLUSTER)).toBe(false);
    expect(namesCluster(yaml.replace('kind: Cluster', 'kind: Pooler'), CLUSTER)).toBe(false);
    expect(namesCluster(yaml.replace('namespace: default', 'namespace: prod'), CLUSTER)).toBe(false);
    expect(namesCluster(JSON.stringify({ kind: 'Cluster', metadata: { name: 'bench-pg' } }, null, 1), CLUSTER)).toBe(true);
  });
});

describe('addOursRatios', () => {
  it('sets each peer record against our streamable-session scenario at the main client count', () => {
    const records = [
      { name: 'streamable-session-50', group: 'main', rps: 2000, cpu_us_per_call: 400 },
      { name: 'peer-raised-qps-50', group: 'peer', rps: 500, cpu_us_per_call: 1000 },
      { name: 'peer-as-shipped-5', group: 'peer', rps: 5, cpu_us_per_call: null },
    ] as { name: string; group: string; rps: number; cpu_us_per_call: number | null; [k: string]: unknown }[];
    addOursRatios(records, 50);
    expect(records[1]).toMatchObject({ ours_scenario: 'streamable-session-50', ours_ratio: 0.25, ours_cpu_ratio: 2.5 });
    expect(records[2]).toMatchObject({ ours_ratio: 0.003, ours_cpu_ratio: null });
    expect(records[0]!.ours_ratio).toBeUndefined();
  });

  it('leaves the ratios null when our scenario did not run', () => {
    const records = [{ name: 'peer-raised-qps-50', group: 'peer', rps: 500, cpu_us_per_call: 1000 }] as {
      name: string;
      group: string;
      rps: number;
      cpu_us_per_call: number | null;
      [k: string]: unknown;
    }[];
    addOursRatios(records, 50);
    expect(records[0]).toMatchObject({ ours_scenario: null, ours_ratio: null, ours_cpu_ratio: null });
  });
});
