// Puts the machine back as it was before a node started: the same steps after a normal stop,
// Ctrl-C, a failed start, and (from the next start) a run that was killed outright. Synchronous,
// so a process 'exit' hook can run it. Each step tolerates "already gone".
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { attempt } from './command.js';
import { removeNewEmptyTables, removeNodeChains } from './iptables.js';
import { podCidr } from './layout.js';
import { tearDownLinks } from './network.js';
import { dropRecord, readSysctl, type NodeRecord } from './record.js';

const cgroupRoot = '/sys/fs/cgroup';

export function tearDownNode(record: NodeRecord): void {
  killNodeProcesses(record);
  unmountUnder([record.dir, ...record.createdPaths]);
  if (record.kubeProxy && existsSync(record.kubeProxy)) attempt(record.kubeProxy, ['--cleanup']);
  removeNodeChains();
  removeNewEmptyTables(record.tablesBefore ?? []);
  attempt('conntrack', ['-D', '-s', podCidr]);
  attempt('conntrack', ['-D', '-d', podCidr]);
  tearDownLinks();
  removeKubepodsCgroups();
  for (const [key, value] of Object.entries(record.sysctls)) {
    try {
      if (readSysctl(key) !== value) writeFileSync(`/proc/sys/${key}`, value);
    } catch {
      // a setting that vanished with its interface or module
    }
  }
  for (const path of record.createdPaths) rmSync(path, { recursive: true, force: true });
  if (existsSync('/run/containerd/s')) {
    for (const socket of readdirSync('/run/containerd/s')) {
      if (!record.shimSocketsBefore.includes(socket)) rmSync(join('/run/containerd/s', socket), { force: true });
    }
  }
  dropRecord();
}

/**
 * Containers (every process in the kubepods cgroups) and containerd's shims for our socket. The
 * kubelet and containerd themselves are the plane's managed processes; after a crash the reaper
 * kills them through the plane's owner file.
 */
function killNodeProcesses(record: NodeRecord): void {
  for (let round = 0; round < 5; round++) {
    const pids = new Set<number>([...kubepodsPids(), ...shimPids(record.containerdSocket)]);
    if (pids.size === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    waitBriefly();
  }
}

function kubepodsPids(): number[] {
  const pids: number[] = [];
  for (const hierarchy of cgroupHierarchies()) {
    walk(join(cgroupRoot, hierarchy, 'kubepods'), (dir) => {
      try {
        for (const line of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (line) pids.push(Number(line));
      } catch {
        // removed meanwhile
      }
    });
  }
  return pids;
}

function shimPids(socket: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'latin1');
      if (cmdline.includes('containerd-shim') && cmdline.includes(socket)) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

/** Unmounts every mount point under the given paths, deepest first (lazily if busy). */
function unmountUnder(paths: string[]): void {
  const mountPoints = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => !!point)
    .map((point) => point.replace(/\\(\d{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))))
    .filter((point) => paths.some((path) => point === path || point.startsWith(`${path}/`)))
    .sort((a, b) => b.length - a.length);
  for (const point of mountPoints) if (!attempt('umount', [point])) attempt('umount', ['-l', point]);
}

function removeKubepodsCgroups(): void {
  for (const hierarchy of cgroupHierarchies()) {
    const dirs: string[] = [];
    walk(join(cgroupRoot, hierarchy, 'kubepods'), (dir) => dirs.push(dir));
    for (const dir of dirs.reverse()) {
      try {
        rmdirSync(dir);
      } catch {
        // still has a process, or already gone
      }
    }
  }
}

function cgroupHierarchies(): string[] {
  try {
    return readdirSync(cgroupRoot).filter((name) => statSync(join(cgroupRoot, name)).isDirectory());
  } catch {
    return [];
  }
}

/** Depth-first, parents before children. */
function walk(dir: string, visit: (dir: string) => void): void {
  if (!existsSync(dir)) return;
  visit(dir);
  for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) walk(join(dir, entry.name), visit);
}

function waitBriefly(): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
}
