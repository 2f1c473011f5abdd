// The server's image on the local node: built from the repository's Dockerfile by BuildKit
// (build.sh beside this file: buildkitd on the node's containerd, buildctl's Dockerfile
// frontend), cached by a content hash of its inputs, and imported into the namespace the kubelet
// reads (k8s.io), where a pod with imagePullPolicy Never finds it.
import { execFile, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const buildScript = join(here, 'build.sh');

/**
 * build.sh's environment: CNPG_MCP_IMAGE_FROM=head (build the last commit, not the working tree)
 * resolved to the commit once, so the cache check and the build agree while others commit.
 */
async function buildEnv(): Promise<NodeJS.ProcessEnv> {
  const from = process.env.CNPG_MCP_IMAGE_FROM;
  if (!from || from === 'worktree' || /^[0-9a-f]{40}$/.test(from)) return process.env;
  const { stdout } = await run('git', ['-C', here, 'rev-parse', '--verify', `${from === 'head' ? 'HEAD' : from}^{commit}`]);
  return { ...process.env, CNPG_MCP_IMAGE_FROM: stdout.trim() };
}

export interface ServerImage {
  /** localhost/cnpg-mcp/server:<content hash> */
  ref: string;
  /** The tag alone (what the chart's image.tag gets). */
  tag: string;
  /** OCI image tarball under ~/.cache/cnpg-mcp/images. */
  tarball: string;
  /** False when the tarball was already cached for these inputs. */
  built: boolean;
  /** Seconds the build (or the cache check) took, import excluded. */
  buildSeconds: number;
}

/** The node's containerd socket, from the plane's directory (the kubeconfig's directory). */
export function containerdSocketOf(planeDir: string): string {
  return join(planeDir, 'containerd', 'containerd.sock');
}

/** What the current sources would build, without building (`build.sh --print-image`). */
export async function currentServerImage(env?: NodeJS.ProcessEnv): Promise<{ ref: string; tarball: string }> {
  const { stdout } = await run('bash', [buildScript, '--print-image'], { env: env ?? (await buildEnv()) });
  return parseLine(stdout);
}

/** Builds the image if its inputs changed since the last build, then imports it into containerd. */
export async function buildAndImportServerImage(containerdSocket: string, log: (line: string) => void = () => {}): Promise<ServerImage> {
  const env = await buildEnv();
  const before = await currentServerImage(env);
  const started = performance.now();
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    // stderr: progress lines, and on failure the tail of buildctl's and buildkitd's logs.
    const child = spawn('bash', [buildScript, 'image', '--containerd-socket', containerdSocket], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
      for (const line of chunk.split('\n')) if (line.trim()) log(line);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve({ stdout: out, stderr: err });
      else reject(new Error(`local-cluster/buildkit/build.sh image failed (exit ${code}):\n${err.split('\n').slice(-40).join('\n')}`));
    });
  });
  const buildSeconds = (performance.now() - started) / 1000;
  const image = parseLine(stdout);
  if (image.ref !== before.ref) throw new Error(`the sources changed during the build (${before.ref} → ${image.ref}): build again`);
  await importOciTarball(containerdSocket, image);
  // build.sh says "built <ref> in …" only when it ran BuildKit.
  const built = stderr.includes(`built ${image.ref} in `);
  return { ...image, tag: image.ref.slice(image.ref.lastIndexOf(':') + 1), built, buildSeconds };
}

/** `ctr images import` into namespace k8s.io (unpacked for the CRI's snapshotter), then checks the ref is listed. */
export async function importOciTarball(containerdSocket: string, image: { ref: string; tarball: string }): Promise<void> {
  const ctr = (...args: string[]) => run('ctr', ['--address', containerdSocket, '-n', 'k8s.io', ...args], { maxBuffer: 16 << 20 });
  await ctr('images', 'import', '--snapshotter', 'overlayfs', image.tarball);
  const { stdout } = await ctr('images', 'ls', '-q');
  if (!stdout.split('\n').some((line) => line.trim() === image.ref)) {
    throw new Error(`containerd does not list ${image.ref} after importing ${image.tarball}`);
  }
}

function parseLine(stdout: string): { ref: string; tarball: string } {
  const last = stdout.trim().split('\n').at(-1) ?? '';
  const [ref, tarball] = last.split(' ');
  if (!ref || !tarball) throw new Error(`local-cluster/buildkit/build.sh printed no "<ref> <tarball>" line: ${JSON.stringify(stdout)}`);
  return { ref, tarball };
}
