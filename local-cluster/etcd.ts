import { join } from 'node:path';
import { startProcess, type ManagedProcess } from './processes.js';
import { waitFor } from '../test-support/wait.js';

export interface EtcdSpec {
  binary: string;
  dir: string;
  logDir: string;
  clientPort: number;
  peerPort: number;
}

export function startEtcd({ binary, dir, logDir, clientPort, peerPort }: EtcdSpec): { process: ManagedProcess; url: string } {
  const url = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const etcd = startProcess({
    name: 'etcd',
    command: binary,
    logDir,
    args: [
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      // Not etcd's default peer port (2380): two planes on one machine would collide.
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=default=${peer}`,
      // Data lives in a temp dir for one test run: durability buys nothing, fsync costs seconds.
      '--unsafe-no-fsync',
    ],
  });
  return { process: etcd, url };
}

export async function waitForEtcd(url: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
  await waitFor(async () => ((await (await fetch(`${url}/health`)).json()) as { health?: string }).health === 'true', {
    what: `etcd to report healthy at ${url}/health`,
    timeoutMs,
    signal,
  });
}
