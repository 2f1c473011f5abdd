// The real kubelet on the host, against the node's containerd. Settings nobody would guess, from
// a trial on this machine kind: failCgroupV1 (kubelet ≥ 1.35 refuses cgroup v1 hosts otherwise),
// cgroupfs (no systemd), an empty resolv.conf (pods never get the host's resolvers: their only
// nameserver is the cluster DNS), loose eviction and image-GC thresholds (small disks).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startProcess, type ManagedProcess } from '../processes.js';
import { clusterDnsIp, clusterDomain, nodeIp, nodeName } from './layout.js';
import type { NodePki } from './pki.js';

export interface KubeletSpec {
  binary: string;
  dir: string;
  logDir: string;
  server: string;
  pki: NodePki;
  containerdSocket: string;
  port: number;
  healthzPort: number;
}

export function startKubelet({ binary, dir, logDir, server, pki, containerdSocket, port, healthzPort }: KubeletSpec): ManagedProcess {
  const home = join(dir, 'kubelet');
  mkdirSync(join(home, 'pod-logs'), { recursive: true });
  const resolvConf = join(home, 'resolv.conf');
  writeFileSync(resolvConf, '');
  const kubeconfig = join(home, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'local', cluster: { server, 'certificate-authority': pki.ca.cert } }],
      users: [{ name: nodeName, user: { 'client-certificate': pki.kubeletClient.cert, 'client-key': pki.kubeletClient.key } }],
      contexts: [{ name: 'local', context: { cluster: 'local', user: nodeName } }],
      'current-context': 'local',
    }),
    { mode: 0o600 },
  );
  const config = join(home, 'config.yaml');
  writeFileSync(
    config,
    stringify({
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      failCgroupV1: false,
      cgroupDriver: 'cgroupfs',
      containerRuntimeEndpoint: `unix://${containerdSocket}`,
      address: nodeIp,
      port,
      readOnlyPort: 0,
      healthzBindAddress: '127.0.0.1',
      healthzPort,
      clusterDNS: [clusterDnsIp],
      clusterDomain,
      resolvConf,
      authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: pki.ca.cert } },
      authorization: { mode: 'Webhook' },
      failSwapOn: false,
      evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'nodefs.inodesFree': '1%', 'imagefs.available': '1%' },
      imageGCHighThresholdPercent: 100,
      imageGCLowThresholdPercent: 99,
      podLogsDir: join(home, 'pod-logs'),
      serializeImagePulls: false,
      // Pods of the local cluster are short-lived: no need to wait a minute for a graceful node.
      shutdownGracePeriod: '0s',
      maxPods: 110,
    }),
  );
  return startProcess({
    name: 'kubelet',
    command: binary,
    logDir,
    args: [
      `--config=${config}`,
      `--kubeconfig=${kubeconfig}`,
      `--root-dir=${join(home, 'root')}`,
      `--cert-dir=${join(home, 'pki')}`,
      `--node-ip=${nodeIp}`,
      `--hostname-override=${nodeName}`,
      '--v=1',
    ],
  });
}
