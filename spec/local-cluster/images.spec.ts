// The local node's OCI images: the layout validator on tarballs made here (always runs), and on
// the images build.sh has built, when they are in the cache (a cold build needs root and minutes,
// so specs never start one).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IMAGE_NAMES, listImages, validateImageTarball } from '../../local-cluster/images.js';

const work = mkdtempSync(join(tmpdir(), 'cnpg-mcp-images-spec-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const sha = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** A one-layer OCI layout tarball like build.sh writes; `spoil` edits it before it is packed. */
function makeLayout(name: string, spoil: (dir: string, digests: { layer: string; config: string; manifest: string }) => void = () => {}): string {
  const dir = join(work, name);
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const layer = Buffer.alloc(1024, 7);
  const put = (data: Buffer | string): string => {
    const digest = sha(data);
    writeFileSync(join(blobs, digest), data);
    return digest;
  };
  const layerDigest = put(layer);
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Entrypoint: ['/pause'] },
    rootfs: { type: 'layers', diff_ids: [`sha256:${layerDigest}`] },
  });
  const configDigest = put(config);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${configDigest}`, size: Buffer.byteLength(config) },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${layerDigest}`, size: layer.length }],
  });
  const manifestDigest = put(manifest);
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: `sha256:${manifestDigest}`,
          size: Buffer.byteLength(manifest),
          annotations: { 'io.containerd.image.name': 'localhost/test/pause:1' },
        },
      ],
    }),
  );
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  spoil(dir, { layer: layerDigest, config: configDigest, manifest: manifestDigest });
  const tarball = join(work, `${name}.tar`);
  execFileSync('tar', ['--format=ustar', '-cf', tarball, '-C', dir, 'oci-layout', 'index.json', 'blobs']);
  return tarball;
}

describe('validateImageTarball', () => {
  it('accepts a one-layer layout and reports its digests and config', async () => {
    const layout = await validateImageTarball(makeLayout('good'), 'localhost/test/pause:1');
    expect(layout.ref).toBe('localhost/test/pause:1');
    expect(layout.layerSize).toBe(1024);
    expect(layout.config.config?.Entrypoint).toEqual(['/pause']);
  });

  it('names the image the index names, not another', async () => {
    await expect(validateImageTarball(makeLayout('other-ref'), 'localhost/test/pause:2')).rejects.toThrow(/names localhost\/test\/pause:1/);
  });

  it('rejects a blob whose bytes do not match its digest', async () => {
    const tarball = makeLayout('bad-layer', (dir, { layer }) => writeFileSync(join(dir, 'blobs', 'sha256', layer), Buffer.alloc(1024, 8)));
    await expect(validateImageTarball(tarball)).rejects.toThrow(/hashes to sha256:/);
  });

  it('rejects an index without the io.containerd.image.name annotation', async () => {
    const tarball = makeLayout('no-annotation', (dir) => {
      const index = JSON.parse(execFileSync('cat', [join(dir, 'index.json')], { encoding: 'utf8' })) as { manifests: { annotations?: object }[] };
      delete index.manifests[0]!.annotations;
      writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
    });
    await expect(validateImageTarball(tarball)).rejects.toThrow(/io\.containerd\.image\.name/);
  });
});

describe('local images from build.sh', async () => {
  const images = await listImages();

  it('are named localhost/cnpg-mcp/<name>:<tag>, the PostgreSQL tag being major.minor (CNPG parses it)', () => {
    for (const name of IMAGE_NAMES) expect(images[name].ref).toMatch(new RegExp(`^localhost/cnpg-mcp/${name}:[0-9][^:/]*$`));
    expect(images.versions.postgresql).toMatch(/^\d+\.\d+$/);
  });

  for (const name of IMAGE_NAMES) {
    const { ref, tarball } = images[name];
    const built = existsSync(tarball);
    it.skipIf(!built)(
      built ? `${ref} is a valid OCI layout` : `${ref} (skipped: not built; run local-cluster/images/build.sh as root)`,
      async () => {
        const layout = await validateImageTarball(tarball, ref);
        const config = layout.config.config ?? {};
        if (name === 'pause') expect(config.Entrypoint).toEqual(['/pause']);
        if (name === 'operator') expect(config).toMatchObject({ Entrypoint: ['/manager'], WorkingDir: '/' });
        if (name === 'postgresql') expect(config.Env).toContainEqual(expect.stringMatching(/^PATH=\/usr\/lib\/postgresql\/\d+\/bin:/));
      },
      60_000,
    );
  }
});

// importImages runs against the node's real containerd at every start of the local cluster
// (e2e and e2e:node): no stand-in ctr here.
