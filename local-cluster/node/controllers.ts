// kube-controller-manager, kube-scheduler and kube-proxy: the parts of a node besides the kubelet,
// from the same Kubernetes release. All three use the admin kubeconfig and bind to loopback.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startProcess, type ManagedProcess } from '../processes.js';
import { nodeIp, nodeName, podCidr, serviceCidr } from './layout.js';
import type { NodePki } from './pki.js';

interface Common {
  logDir: string;
  kubeconfigPath: string;
}

export function startControllerManager(spec: Common & { binary: string; pki: NodePki; serviceAccountKey: string; port: number }): ManagedProcess {
  return startProcess({
    name: 'kube-controller-manager',
    command: spec.binary,
    logDir: spec.logDir,
    args: [
      `--kubeconfig=${spec.kubeconfigPath}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${spec.port}`,
      '--leader-elect=false',
      // Service-account tokens must carry ca.crt, or pods cannot trust the apiserver.
      `--root-ca-file=${spec.pki.ca.cert}`,
      `--service-account-private-key-file=${spec.serviceAccountKey}`,
      `--service-cluster-ip-range=${serviceCidr}`,
      `--cluster-signing-cert-file=${spec.pki.ca.cert}`,
      `--cluster-signing-key-file=${spec.pki.ca.key}`,
      '--use-service-account-credentials=false',
      // One node: no Pod CIDR allocation (the CNI config names the range); with no cloud
      // provider the cloud controllers stay off by themselves.
      '--allocate-node-cidrs=false',
    ],
  });
}

export function startScheduler(spec: Common & { binary: string; port: number }): ManagedProcess {
  return startProcess({
    name: 'kube-scheduler',
    command: spec.binary,
    logDir: spec.logDir,
    args: [`--kubeconfig=${spec.kubeconfigPath}`, '--bind-address=127.0.0.1', `--secure-port=${spec.port}`, '--leader-elect=false'],
  });
}

/**
 * iptables mode. Host sysctls stay as they are: conntrack values 0 ("leave alone"), no
 * localhost NodePorts (which would set route_localnet); NodePorts only on the node IP.
 */
export function startKubeProxy(spec: Common & { binary: string; dir: string; healthzPort: number; metricsPort: number }): ManagedProcess {
  const config = join(spec.dir, 'kube-proxy.yaml');
  writeFileSync(
    config,
    stringify({
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
      kind: 'KubeProxyConfiguration',
      mode: 'iptables',
      clientConnection: { kubeconfig: spec.kubeconfigPath },
      hostnameOverride: nodeName,
      bindAddress: nodeIp,
      healthzBindAddress: `127.0.0.1:${spec.healthzPort}`,
      metricsBindAddress: `127.0.0.1:${spec.metricsPort}`,
      nodePortAddresses: [`${nodeIp}/32`],
      clusterCIDR: podCidr,
      iptables: { localhostNodePorts: false, masqueradeAll: false },
      conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
    }),
  );
  return startProcess({ name: 'kube-proxy', command: spec.binary, logDir: spec.logDir, args: [`--config=${config}`] });
}
