// A picture of what a node could leave behind on the machine: links and addresses, routes,
// iptables rules and chains (counters dropped), mounts, the recorded sysctls, kubepods cgroups,
// the kubelet's fixed paths and containerd shims. Teardown must bring it back to what it was.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fixedPaths, recordedSysctls } from './layout.js';

export type MachineState = Record<string, string[]>;

const lines = (command: string, args: string[]): string[] => {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.split('\n').filter(Boolean) : [`(${command} unavailable)`];
};

export function snapshotMachine(): MachineState {
  const iptables = (family: string) =>
    lines(`${family}-save`, [])
      .filter((line) => !line.startsWith('#'))
      .map((line) => line.replace(/\[\d+:\d+\]/g, ''));
  return {
    links: lines('ip', ['-o', 'link', 'show']).map((line) => line.replace(/^\d+: /, '').split(' ')[0] ?? line),
    addresses: lines('ip', ['-o', 'addr', 'show']).map((line) => line.replace(/^\d+: /, '').replace(/\s+valid_lft.*$/, '')),
    routes: lines('ip', ['route', 'show', 'table', 'all']),
    iptables: iptables('iptables'),
    ip6tables: iptables('ip6tables'),
    mounts: readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ').slice(4, 5).join(' ')),
    sysctls: recordedSysctls.filter((key) => existsSync(`/proc/sys/${key}`)).map((key) => `${key}=${readFileSync(`/proc/sys/${key}`, 'utf8').trim()}`),
    cgroups: existsSync('/sys/fs/cgroup')
      ? readdirSync('/sys/fs/cgroup')
          .filter((h) => existsSync(`/sys/fs/cgroup/${h}/kubepods`))
          .map((h) => `${h}/kubepods`)
      : [],
    paths: fixedPaths.filter((path) => existsSync(path)),
    shims: readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('containerd-shim');
        } catch {
          return false;
        }
      })
      .map(() => 'containerd-shim'),
  };
}

/** Lines added or removed, per aspect; empty when the machine is as it was. */
export function machineDiff(before: MachineState, after: MachineState): string[] {
  const diff: string[] = [];
  for (const aspect of Object.keys(before)) {
    const was = new Set(before[aspect]);
    const now = new Set(after[aspect]);
    for (const line of now) if (!was.has(line)) diff.push(`${aspect}: + ${line}`);
    for (const line of was) if (!now.has(line)) diff.push(`${aspect}: - ${line}`);
  }
  return diff;
}
