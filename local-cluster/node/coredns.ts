// Cluster DNS: CoreDNS (built with only bind, errors, log, cache and kubernetes; no forward
// plugin) on the pod gateway's address, out of cluster. Pods resolve Service and pod names of
// the cluster domain; every other name gets an error, never an answer from off the machine.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProcess, type ManagedProcess } from '../processes.js';
import { clusterDnsIp, clusterDomain } from './layout.js';

export function startCoreDns(spec: { binary: string; dir: string; logDir: string; kubeconfigPath: string; context: string }): ManagedProcess {
  const corefile = join(spec.dir, 'Corefile');
  writeFileSync(
    corefile,
    `${clusterDomain}:53 in-addr.arpa:53 ip6.arpa:53 {
  bind ${clusterDnsIp}
  errors
  kubernetes ${clusterDomain} in-addr.arpa ip6.arpa {
    kubeconfig ${spec.kubeconfigPath} ${spec.context}
    pods insecure
  }
  cache 30
}
.:53 {
  bind ${clusterDnsIp}
  errors
}
`,
  );
  return startProcess({ name: 'coredns', command: spec.binary, logDir: spec.logDir, args: ['-conf', corefile], cwd: spec.dir });
}
