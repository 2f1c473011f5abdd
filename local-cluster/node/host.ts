// Can this machine run the node? Pods need root, overlayfs, cgroups, containerd and runc, free
// address ranges and no other node; when one is missing the starter says which in one line and
// runs the API-only plane instead.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { installed, run } from './command.js';
import { nodeChains } from './iptables.js';
import { linkExists, tearDownLinks } from './network.js';
import { nodeBridge, nodeIp, podBridge, podCidr, serviceCidr } from './layout.js';
import { isAlive } from '../stale.js';
import { readRecord } from './record.js';
import { tearDownNode } from './teardown.js';

/** Debian packages the node runs (installed when missing, as .ci/run does). */
const packages: Record<string, string> = {
  containerd: 'containerd',
  ctr: 'containerd',
  runc: 'runc',
  iptables: 'iptables',
  conntrack: 'conntrack',
  nft: 'nftables',
};

/** Why pods cannot run here, or undefined when they can. Installs missing packages first. */
export function podsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `pods need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'pods need root (the kubelet, containerd and the node network do)';
  if (!readFileSync('/proc/filesystems', 'utf8').includes('overlay')) return 'the kernel has no overlayfs (containerd snapshots need it)';
  if (!existsSync('/proc/sys/net/bridge')) return 'the kernel has no bridge netfilter (/proc/sys/net/bridge is missing)';
  if (!existsSync('/sys/fs/cgroup/memory') && !existsSync('/sys/fs/cgroup/cgroup.controllers')) return 'no cgroup hierarchy is mounted';
  const missing = [
    ...new Set(
      Object.keys(packages)
        .filter((command) => !installed(command))
        .map((command) => packages[command]!),
    ),
  ];
  if (missing.length && !installPackages(missing)) return `could not install ${missing.join(', ')} with apt-get`;
  const other = readRecord();
  if (other && isAlive(other.ownerPid)) return `another local node is running (owner pid ${other.ownerPid}); one per machine`;
  const chains = nodeChains();
  if (chains.length) return `this machine already runs a Kubernetes node (iptables chain ${chains[0]})`;
  const clash = overlappingRoute();
  if (clash) return `the node's address ranges overlap the route ${clash}`;
  return undefined;
}

/** A node whose owner died (SIGKILL, OOM) had no chance to clean up: do it now. */
export function reapStaleNode(): void {
  const record = readRecord();
  if (record && !isAlive(record.ownerPid)) tearDownNode(record);
  else if (!record && (linkExists(podBridge) || linkExists(nodeBridge))) tearDownLinks(); // crashed before its record
}

function installPackages(names: string[]): boolean {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (...args: string[]) => spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], { stdio: 'inherit', env }).status === 0;
  return apt('update', '-qq') && apt('install', '-y', '-qq', '--no-install-recommends', ...names);
}

function overlappingRoute(): string | undefined {
  const ours = [podCidr, serviceCidr, `${nodeIp}/32`].map(parseCidr);
  const routes = JSON.parse(run('ip', ['-j', 'route', 'show', 'table', 'all'])) as { dst: string; dev?: string; type?: string }[];
  for (const route of routes) {
    if (route.dst === 'default' || route.dev === podBridge || route.dev === nodeBridge || !/^\d+\.\d+\.\d+\.\d+/.test(route.dst)) continue;
    const theirs = parseCidr(route.dst.includes('/') ? route.dst : `${route.dst}/32`);
    if (ours.some((range) => overlaps(range, theirs))) return `${route.dst}${route.dev ? ` dev ${route.dev}` : ''}`;
  }
  return undefined;
}

function parseCidr(cidr: string): { base: number; bits: number } {
  const [address = '', bits = '32'] = cidr.split('/');
  const base = address.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
  return { base, bits: Number(bits) };
}

function overlaps(a: { base: number; bits: number }, b: { base: number; bits: number }): boolean {
  const bits = Math.min(a.bits, b.bits);
  const size = 2 ** (32 - bits);
  return Math.floor(a.base / size) === Math.floor(b.base / size);
}
