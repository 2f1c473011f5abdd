// The node's fixed names and addresses, in one place. Everything the node creates on the host
// carries one of these names, which is how teardown (and the next start's reaper) finds it.
export const nodeName = 'cnpg-mcp-node';

/** A bridge with no ports holds the node's address: this kernel has no dummy links. */
export const nodeBridge = 'cnpgmcp-node';
export const nodeIp = '10.250.0.1';

/** Pods attach here (CNI bridge plugin); the host is their gateway and the cluster's DNS server. */
export const podBridge = 'cnpgmcp-pods';
export const podCidr = '10.244.0.0/24';
export const podGateway = '10.244.0.1';
export const clusterDnsIp = podGateway;

export const serviceCidr = '10.96.0.0/16';
/** The first address of the Service range: Service `kubernetes`, named in the apiserver's certificate. */
export const kubernetesServiceIp = '10.96.0.1';
export const clusterDomain = 'cluster.local';

/** Our own chain (mangle FORWARD, where kube-proxy and the kubelet never prepend rules). */
export const forwardChain = 'CNPG-MCP-FORWARD';
/** Chains that belong to a node: kube-proxy's and the kubelet's, the CNI portmap plugin's, ours. */
export const nodeChainPrefixes = ['KUBE-', 'CNI-', 'CNPG-MCP-'];

/** The record of a running node (what to restore, who owns it); one node per machine. */
export const nodeRecordPath = '/run/cnpg-mcp-node.json';

/**
 * Paths the kubelet, containerd and the CNI library write whatever their flags say: removed at
 * teardown when they did not exist before the node started.
 */
export const fixedPaths = ['/var/lib/kubelet', '/var/log/containers', '/var/log/pods', '/var/lib/cni', '/run/containerd', '/etc/cni', '/opt/cni'];

/** Host settings the kubelet and kube-proxy may change: recorded at start, restored at teardown. */
export const recordedSysctls = [
  'vm/overcommit_memory',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
  'net/ipv4/conf/all/route_localnet',
  'net/ipv4/ip_forward',
  'net/bridge/bridge-nf-call-iptables',
  'net/bridge/bridge-nf-call-ip6tables',
  'net/netfilter/nf_conntrack_max',
];
