// The OCI images the local node runs: images/build.sh builds them once per version into the
// user cache (no registry is reachable here); this module runs it, checks each tarball is a
// well-formed OCI image layout, and imports them into the node's containerd.
// versions.env stays the one place a version is written.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const buildScript = join(here, 'images', 'build.sh');
const run = promisify(execFile);

export const IMAGE_NAMES = ['pause', 'postgresql', 'pgbouncer', 'operator'] as const;
export type ImageName = (typeof IMAGE_NAMES)[number];

export interface LocalImage {
  /** Full reference, e.g. localhost/cnpg-mcp/postgresql:15.20 (what pods name, pull policy Never). */
  ref: string;
  /** OCI image-layout tarball under ~/.cache/cnpg-mcp/images. */
  tarball: string;
}

export interface ImageVersions {
  /** major.minor, as in the postgresql image's tag (CNPG reads the version from the tag). */
  postgresql: string;
  pgbouncer: string;
  pause: string;
  /** The operator image's tag: the CNPG version without "v". */
  operator: string;
}

export type LocalImages = Record<ImageName, LocalImage> & { versions: ImageVersions };

/** The refs and tarball paths build.sh uses, without building anything (`build.sh --list`). */
export async function listImages(): Promise<LocalImages> {
  const { stdout } = await run('bash', [buildScript, '--list']);
  return parseImageLines(stdout);
}

/**
 * Runs build.sh (a no-op when every image is cached; a cold build takes minutes and needs root
 * and the operator binary from local-cluster/build.sh), then validates every tarball.
 */
export async function buildImages(): Promise<LocalImages> {
  const images = parseImageLines(await runBuildScript());
  for (const name of IMAGE_NAMES) await validateImageTarball(images[name].tarball, images[name].ref);
  return images;
}

/** Whether every image is already in the cache (start-up can say "first time only" or not). */
export async function imagesCached(): Promise<boolean> {
  const images = await listImages();
  return IMAGE_NAMES.every((name) => existsSync(images[name].tarball));
}

function parseImageLines(stdout: string): LocalImages {
  const found = new Map<string, LocalImage>();
  for (const line of stdout.trim().split('\n')) {
    const [ref, tarball] = line.trim().split(/\s+/);
    // localhost/cnpg-mcp/<name>:<tag>
    const name = ref && tarball ? /\/([^/:]+):[^/]+$/.exec(ref)?.[1] : undefined;
    if (name) found.set(name, { ref: ref!, tarball: tarball! });
  }
  const pick = (name: ImageName): LocalImage => {
    const image = found.get(name);
    if (!image) throw new Error(`local-cluster/images/build.sh printed no ${name} image`);
    return image;
  };
  const images = { pause: pick('pause'), postgresql: pick('postgresql'), pgbouncer: pick('pgbouncer'), operator: pick('operator') };
  const tag = (image: LocalImage): string => image.ref.slice(image.ref.lastIndexOf(':') + 1);
  return {
    ...images,
    versions: { postgresql: tag(images.postgresql), pgbouncer: tag(images.pgbouncer), pause: tag(images.pause), operator: tag(images.operator) },
  };
}

function runBuildScript(): Promise<string> {
  return new Promise((resolve, reject) => {
    // stderr is inherited: a cold build says what it builds and how long it took.
    const child = spawn('bash', [buildScript], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`local-cluster/images/build.sh failed (exit ${code}); its output is above`));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Validation of an OCI image-layout tarball, as build.sh writes it: ustar entries (short names),
// oci-layout, index.json with one manifest that carries io.containerd.image.name, and blobs whose
// names are their sha256 digests: the manifest, the config, and one uncompressed layer.

export interface ImageLayout {
  ref: string;
  manifestDigest: string;
  configDigest: string;
  layerDigest: string;
  layerSize: number;
  config: OciConfig;
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string };
}

interface OciConfig {
  architecture: string;
  os: string;
  config?: { Entrypoint?: string[]; Cmd?: string[]; Env?: string[]; User?: string; WorkingDir?: string };
  rootfs: { type: string; diff_ids: string[] };
}

interface TarEntry {
  offset: number;
  size: number;
}

const IMAGE_NAME_ANNOTATION = 'io.containerd.image.name';

/** Throws, naming the first problem, unless `tarball` is a valid image layout (for `ref`, if given). */
export async function validateImageTarball(tarball: string, ref?: string): Promise<ImageLayout> {
  const fh = await open(tarball, 'r');
  try {
    const entries = await readTarIndex(fh);
    const problem = (what: string): Error => new Error(`${tarball}: ${what}`);
    const text = async (name: string): Promise<string> => {
      const entry = entries.get(name);
      if (!entry) throw problem(`no ${name}`);
      return (await readRange(fh, entry)).toString('utf8');
    };
    const json = async <T>(name: string): Promise<T> => JSON.parse(await text(name)) as T;
    // Every blob must hash to its name and match the size its descriptor gives.
    const blob = async (descriptor: Descriptor, mediaType: string): Promise<string> => {
      if (descriptor.mediaType !== mediaType) throw problem(`${descriptor.digest} is ${descriptor.mediaType}, not ${mediaType}`);
      const match = /^sha256:([0-9a-f]{64})$/.exec(descriptor.digest);
      if (!match) throw problem(`digest ${descriptor.digest} is not sha256`);
      const name = `blobs/sha256/${match[1]}`;
      const entry = entries.get(name);
      if (!entry) throw problem(`no blob ${name}`);
      if (entry.size !== descriptor.size) throw problem(`${name} is ${entry.size} bytes, its descriptor says ${descriptor.size}`);
      const actual = await sha256(fh, entry);
      if (actual !== match[1]) throw problem(`${name} hashes to sha256:${actual}`);
      return name;
    };

    const layoutVersion = (await json<{ imageLayoutVersion?: string }>('oci-layout')).imageLayoutVersion;
    if (layoutVersion !== '1.0.0') throw problem(`oci-layout version ${layoutVersion}`);
    const index = await json<{ schemaVersion: number; manifests: Descriptor[] }>('index.json');
    if (index.schemaVersion !== 2 || index.manifests?.length !== 1) throw problem('index.json must list exactly one manifest');
    const manifestDescriptor = index.manifests[0]!;
    const named = manifestDescriptor.annotations?.[IMAGE_NAME_ANNOTATION];
    if (!named) throw problem(`index.json's manifest has no ${IMAGE_NAME_ANNOTATION} annotation`);
    if (ref !== undefined && named !== ref) throw problem(`index.json names ${named}, expected ${ref}`);

    const manifestName = await blob(manifestDescriptor, 'application/vnd.oci.image.manifest.v1+json');
    const manifest = JSON.parse(await text(manifestName)) as { schemaVersion: number; config: Descriptor; layers: Descriptor[] };
    if (manifest.schemaVersion !== 2 || manifest.layers?.length !== 1) throw problem('the manifest must have exactly one layer');
    const layer = manifest.layers[0]!;
    const config = JSON.parse(await text(await blob(manifest.config, 'application/vnd.oci.image.config.v1+json'))) as OciConfig;
    await blob(layer, 'application/vnd.oci.image.layer.v1.tar');
    // Uncompressed layer: its diff_id is its own digest.
    if (config.rootfs?.type !== 'layers' || config.rootfs.diff_ids?.length !== 1 || config.rootfs.diff_ids[0] !== layer.digest) {
      throw problem(`config rootfs.diff_ids ${JSON.stringify(config.rootfs?.diff_ids)} do not name the layer ${layer.digest}`);
    }
    // ctr import unpacks for the host's platform only when the config says it is that platform.
    if (config.os !== 'linux' || config.architecture !== 'amd64') throw problem(`config is ${config.os}/${config.architecture}`);
    return {
      ref: named,
      manifestDigest: manifestDescriptor.digest,
      configDigest: manifest.config.digest,
      layerDigest: layer.digest,
      layerSize: layer.size,
      config,
    };
  } finally {
    await fh.close();
  }
}

/** Regular files of a ustar archive: name → where its bytes are. */
async function readTarIndex(fh: FileHandle): Promise<Map<string, TarEntry>> {
  const entries = new Map<string, TarEntry>();
  const { size: total } = await fh.stat();
  const header = Buffer.alloc(512);
  let offset = 0;
  while (offset + 512 <= total) {
    const { bytesRead } = await fh.read(header, 0, 512, offset);
    if (bytesRead < 512 || header.every((byte) => byte === 0)) break; // end-of-archive blocks
    const field = (start: number, length: number): string => header.toString('latin1', start, start + length).replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1);
    const prefix = field(345, 155);
    const name = (prefix ? `${prefix}/` : '') + field(0, 100);
    if (type === '0' || type === '') entries.set(name.replace(/^\.\//, ''), { offset: offset + 512, size });
    else if (type !== '5') throw new Error(`unexpected tar entry type ${JSON.stringify(type)} for ${name}`);
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

async function readRange(fh: FileHandle, entry: TarEntry): Promise<Buffer> {
  const buffer = Buffer.alloc(entry.size);
  await fh.read(buffer, 0, entry.size, entry.offset);
  return buffer;
}

async function sha256(fh: FileHandle, entry: TarEntry): Promise<string> {
  const hash = createHash('sha256');
  const chunk = Buffer.alloc(4 << 20);
  for (let done = 0; done < entry.size; ) {
    const { bytesRead } = await fh.read(chunk, 0, Math.min(chunk.length, entry.size - done), entry.offset + done);
    if (bytesRead === 0) throw new Error('tarball ends inside an entry');
    hash.update(chunk.subarray(0, bytesRead));
    done += bytesRead;
  }
  return hash.digest('hex');
}

// ---------------------------------------------------------------------------------------------

/**
 * Imports the images into the node's containerd (namespace k8s.io, the one the CRI plugin and so
 * the kubelet use) and unpacks them into the snapshotter the CRI plugin runs (overlayfs): ctr
 * unpacks unless --no-unpack, and a pod with `imagePullPolicy: Never` needs the unpacked
 * snapshot. Then checks each reference is listed.
 */
export async function importImages(
  ctrBinary: string,
  containerdSocket: string,
  images: Partial<Record<ImageName, LocalImage>>,
  snapshotter = 'overlayfs',
): Promise<void> {
  const ctr = (...args: string[]) => run(ctrBinary, ['--address', containerdSocket, '-n', 'k8s.io', ...args], { maxBuffer: 16 << 20 });
  // By name, not Object.values: a LocalImages also carries `versions`.
  const wanted = IMAGE_NAMES.map((name) => images[name]).filter((image): image is LocalImage => image !== undefined);
  for (const image of wanted) {
    // The index's io.containerd.image.name annotation names the image: no --base-name needed.
    const { stdout } = await ctr('images', 'import', '--all-platforms', '--snapshotter', snapshotter, image.tarball);
    // ctr prints "unpacking <ref> (sha256:…)...done" once the snapshot exists.
    if (!new RegExp(`unpacking ${escapeRegExp(image.ref)} \\(sha256:[0-9a-f]{64}\\)\\.\\.\\.done`).test(stdout)) {
      throw new Error(`ctr import of ${image.tarball} did not unpack ${image.ref}: ${stdout.trim()}`);
    }
  }
  const { stdout } = await ctr('images', 'ls', '-q');
  const listed = new Set(stdout.split('\n').map((line) => line.trim()));
  const missing = wanted.filter((image) => !listed.has(image.ref)).map((image) => image.ref);
  if (missing.length > 0) throw new Error(`containerd does not list ${missing.join(', ')} after import`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
