// The default StorageClass: rancher's local-path-provisioner (what kind ships), out of cluster.
// It makes a directory per claim under the node's directory with a short-lived helper pod
// (the local PostgreSQL image has the shell it needs), mode 0777 so PostgreSQL (uid 26) can
// write there; kube-controller-manager's own hostPath provisioner makes root-owned 0750 ones.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runLogged, startProcess, type ManagedProcess } from '../processes.js';
import { nodeName } from './layout.js';

export const storageClassName = 'local-path';
const namespace = 'local-path-storage';
const provisionerName = 'rancher.io/local-path';
const serviceAccount = 'local-path-provisioner';

export async function startStorage(spec: {
  binary: string;
  kubectl: string;
  dir: string;
  logDir: string;
  kubeconfigPath: string;
  helperImage: string;
}): Promise<ManagedProcess> {
  const volumes = join(spec.dir, 'volumes');
  mkdirSync(volumes, { recursive: true });
  const objects = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: serviceAccount, namespace } },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'local-path-config', namespace },
      data: {
        'config.json': JSON.stringify({ nodePathMap: [{ node: 'DEFAULT_PATH_FOR_NON_LISTED_NODES', paths: [volumes] }] }),
        setup: '#!/bin/sh\nset -eu\nmkdir -m 0777 -p "$VOL_DIR"\n',
        teardown: '#!/bin/sh\nset -eu\nrm -rf "$VOL_DIR"\n',
        'helperPod.yaml': stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'helper-pod' },
          spec: {
            priorityClassName: 'system-node-critical',
            // Root: it makes the claim's directory in the node's volumes dir (root-owned); the
            // image's own user is postgres.
            containers: [{ name: 'helper-pod', image: spec.helperImage, imagePullPolicy: 'Never', securityContext: { runAsUser: 0, runAsGroup: 0 } }],
          },
        }),
      },
    },
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: storageClassName, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: provisionerName,
      // Bound when the pod is scheduled, as kind does; there is one node anyway.
      volumeBindingMode: 'WaitForFirstConsumer',
      reclaimPolicy: 'Delete',
    },
  ];
  const manifest = join(spec.dir, 'local-path-storage.yaml');
  writeFileSync(manifest, objects.map((object) => stringify(object)).join('---\n'));
  await runLogged(spec.kubectl, ['--kubeconfig', spec.kubeconfigPath, 'apply', '-f', manifest], join(spec.logDir, 'kubectl.log'));
  return startProcess({
    name: 'local-path-provisioner',
    command: spec.binary,
    logDir: spec.logDir,
    args: [
      '--debug',
      'start',
      '--kubeconfig',
      spec.kubeconfigPath,
      '--namespace',
      namespace,
      '--provisioner-name',
      provisionerName,
      '--service-account-name',
      serviceAccount,
      '--configmap-name',
      'local-path-config',
      '--helper-image',
      spec.helperImage,
    ],
    env: { ...process.env, NODE_NAME: nodeName },
  });
}
