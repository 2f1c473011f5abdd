// The node's network: two bridges the harness owns, forwarding on the pod bridge only, and a
// rule that drops anything from or to the pods through any other interface, so pod traffic
// never leaves the machine. The machine's own interfaces, addresses and routes are not touched.
import { writeFileSync } from 'node:fs';
import { attempt, run } from './command.js';
import { forwardChain, nodeBridge, nodeIp, podBridge, podCidr, podGateway } from './layout.js';

export function setUpNetwork(): void {
  addBridge(nodeBridge, `${nodeIp}/32`);
  addBridge(podBridge, `${podGateway}/${podCidr.split('/')[1]}`);
  // Per interface, not the global ip_forward: the host routes for the pod bridge and nothing else.
  writeFileSync(`/proc/sys/net/ipv4/conf/${podBridge}/forwarding`, '1');
  // mangle FORWARD runs before filter FORWARD, where kube-proxy prepends its ACCEPT rules.
  for (const iptables of ['iptables', 'ip6tables']) {
    run(iptables, ['-t', 'mangle', '-N', forwardChain]);
    const rule = (...args: string[]) => run(iptables, ['-t', 'mangle', '-A', forwardChain, ...args]);
    rule('-i', podBridge, '-o', podBridge, '-j', 'RETURN');
    rule('-i', podBridge, '-j', 'DROP');
    rule('-o', podBridge, '-j', 'DROP');
    run(iptables, ['-t', 'mangle', '-I', 'FORWARD', '1', '-j', forwardChain]);
  }
}

function addBridge(name: string, address: string): void {
  run('ip', ['link', 'add', name, 'type', 'bridge']);
  run('ip', ['addr', 'add', address, 'dev', name]);
  run('ip', ['link', 'set', name, 'up']);
}

/** Removes the pod veths still attached to the pod bridge, then both bridges. Idempotent. */
export function tearDownLinks(): void {
  for (const veth of linksOf(podBridge)) attempt('ip', ['link', 'delete', veth]);
  attempt('ip', ['link', 'delete', podBridge]);
  attempt('ip', ['link', 'delete', nodeBridge]);
}

function linksOf(bridge: string): string[] {
  try {
    const links = JSON.parse(run('ip', ['-j', 'link', 'show', 'master', bridge])) as { ifname: string }[];
    return links.map((link) => link.ifname);
  } catch {
    return []; // no such bridge
  }
}

/** True when a link of that name exists (a leftover of a crashed run, or someone else's). */
export function linkExists(name: string): boolean {
  return attempt('ip', ['link', 'show', name]);
}
