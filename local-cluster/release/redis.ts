// The Redis the chart's replicas share (the session relay, --redis-url), run in the cluster from
// the image local-cluster/images/build.sh builds from Debian's redis-server. Password protected:
// the password and the URL that carries it live in Secret cnpg-mcp-redis, which the chart reads
// through redis.existingSecret (deploy/helm/values-local.yaml), so the URL never appears in the
// Deployment.
export const redisName = 'cnpg-mcp-redis';
export const redisPort = 6379;

export function redisObjects(namespace: string, image: string, password: string): object[] {
  const labels = { 'app.kubernetes.io/name': redisName, 'app.kubernetes.io/part-of': 'cnpg-mcp' };
  const url = `redis://:${password}@${redisName}.${namespace}.svc.cluster.local:${redisPort}`;
  return [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: redisName, namespace, labels },
      type: 'Opaque',
      stringData: { password, url },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: redisName, namespace, labels },
      spec: { selector: labels, ports: [{ name: 'redis', port: redisPort, targetPort: 'redis' }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: redisName, namespace, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            enableServiceLinks: false,
            automountServiceAccountToken: false,
            securityContext: { runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'redis',
                image,
                imagePullPolicy: 'Never',
                // A relay, not a store: nothing is persisted. The password reaches redis-server
                // through the environment ($(VAR) is expanded by the kubelet).
                args: [
                  '--bind',
                  '0.0.0.0',
                  '--port',
                  String(redisPort),
                  '--protected-mode',
                  'no',
                  '--save',
                  '',
                  '--appendonly',
                  'no',
                  '--requirepass',
                  '$(REDIS_PASSWORD)',
                ],
                env: [{ name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: redisName, key: 'password' } } }],
                ports: [{ name: 'redis', containerPort: redisPort }],
                readinessProbe: { tcpSocket: { port: 'redis' }, periodSeconds: 2 },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
                volumeMounts: [{ name: 'data', mountPath: '/data' }],
                resources: { requests: { cpu: '20m', memory: '32Mi' }, limits: { memory: '128Mi' } },
              },
            ],
            volumes: [{ name: 'data', emptyDir: { sizeLimit: '64Mi' } }],
          },
        },
      },
    },
  ];
}
