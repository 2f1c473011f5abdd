// An S3-compatible object store on the local node's address, for Clusters with
// spec.backup.barmanObjectStore: versitygw (Apache-2.0, built from its Go module by build.sh)
// with its posix backend, a bucket being a directory. It listens on the node's bridge address
// (10.250.0.1), which the pods reach through their gateway and nothing off the machine does.
// Stopped by its pid; its directory (buckets, log) is removed then.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { waitFor } from '../../test-support/wait.js';
import { containerdSocketOf, importOciTarball } from '../buildkit/server-image.js';
import { validateImageTarball } from '../images.js';
import { nodeIp } from '../node/layout.js';
import { freePorts } from '../ports.js';
import { startProcess } from '../processes.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));

export interface ObjectStore {
  /** http://10.250.0.1:<port>: spec.backup.barmanObjectStore.endpointURL. */
  endpoint: string;
  /** The bucket made at start (destinationPath s3://<bucket>/). */
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The directory behind the bucket: what the gateway stored, as files. */
  bucketDir: string;
  logPath: string;
  stop(): Promise<void>;
}

/** Builds versitygw if needed (first time: minutes) and prints nothing; resolves to its path. */
export async function objectStoreBinary(): Promise<string> {
  const { stdout } = await run('bash', [join(here, 'build.sh')], { maxBuffer: 1 << 20 });
  return stdout.trim().split('\n').at(-1)!;
}

/**
 * The postgresql image with barman-cloud (../images/build.sh postgresql-barman; first time:
 * minutes), imported into the node's containerd: spec.imageName of a Cluster that backs up to
 * the object store. Resolves to its ref.
 */
export async function importBarmanImage(kubeconfigPath: string): Promise<string> {
  const { stdout } = await run('bash', [join(here, '../images/build.sh'), 'postgresql-barman'], { maxBuffer: 1 << 20 });
  const [ref, tarball] = stdout.trim().split('\n').at(-1)!.split(' ');
  await validateImageTarball(tarball!, ref);
  await importOciTarball(containerdSocketOf(dirname(kubeconfigPath)), { ref: ref!, tarball: tarball! });
  return ref!;
}

export async function startObjectStore(bucket = 'cnpg-backups'): Promise<ObjectStore> {
  const binary = await objectStoreBinary();
  const dir = mkdtempSync(join(tmpdir(), 'cnpg-mcp-object-store-'));
  const data = join(dir, 'data');
  const bucketDir = join(data, bucket);
  mkdirSync(bucketDir, { recursive: true });
  const [port] = await freePorts(1);
  const accessKeyId = `e2e${randomBytes(6).toString('hex')}`;
  const secretAccessKey = randomBytes(24).toString('base64url');
  const endpoint = `http://${nodeIp}:${port}`;
  const child = startProcess({
    name: 'versitygw',
    command: binary,
    // Credentials through the environment: not in the process list.
    args: ['--port', `${nodeIp}:${port}`, '--quiet', 'posix', data],
    logDir: dir,
    env: { PATH: process.env.PATH, ROOT_ACCESS_KEY_ID: accessKeyId, ROOT_SECRET_ACCESS_KEY: secretAccessKey },
  });
  const stop = async () => {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Any HTTP answer means it listens (an unsigned request is refused with 403).
    await waitFor(() => fetch(endpoint).then((response) => response.status > 0), {
      what: `versitygw to listen on ${endpoint} (log ${child.logPath})`,
      timeoutMs: 30_000,
      signal: child.died,
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, bucket, accessKeyId, secretAccessKey, bucketDir, logPath: child.logPath, stop };
}
