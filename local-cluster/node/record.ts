// What a running node changed on the machine, written before it changes anything, so teardown
// (or the next start's reaper, after a crash) can put the machine back as it was.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { existingTables } from './iptables.js';
import { fixedPaths, nodeRecordPath, recordedSysctls } from './layout.js';

export interface NodeRecord {
  ownerPid: number;
  /** The node's directory (the plane's temp dir): every mount and process of the node names it. */
  dir: string;
  containerdSocket: string;
  /** Host settings as they were: path under /proc/sys → value. */
  sysctls: Record<string, string>;
  /** fixedPaths that did not exist before the node started. */
  createdPaths: string[];
  /** Entries of /run/containerd/s (shim sockets) before the node started. */
  shimSocketsBefore: string[];
  /** iptables tables that existed before ("iptables nat", …): the others are removed when empty. */
  tablesBefore: string[];
  /** Binaries for teardown steps that need them (kube-proxy --cleanup). */
  kubeProxy?: string;
}

export function takeRecord(dir: string, containerdSocket: string, kubeProxy: string): NodeRecord {
  const record: NodeRecord = {
    ownerPid: process.pid,
    dir,
    containerdSocket,
    sysctls: Object.fromEntries(recordedSysctls.filter((key) => existsSync(`/proc/sys/${key}`)).map((key) => [key, readSysctl(key)])),
    createdPaths: fixedPaths.filter((path) => !existsSync(path)),
    shimSocketsBefore: existsSync('/run/containerd/s') ? readdirSync('/run/containerd/s') : [],
    tablesBefore: existingTables(),
    kubeProxy,
  };
  writeFileSync(nodeRecordPath, JSON.stringify(record, null, 2), { mode: 0o600 });
  return record;
}

export function readRecord(): NodeRecord | undefined {
  try {
    return JSON.parse(readFileSync(nodeRecordPath, 'utf8')) as NodeRecord;
  } catch {
    return undefined;
  }
}

export function dropRecord(): void {
  rmSync(nodeRecordPath, { force: true });
}

export function readSysctl(key: string): string {
  return readFileSync(`/proc/sys/${key}`, 'utf8').trim();
}
