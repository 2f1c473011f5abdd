#!/usr/bin/env bash
# Builds the server's container image from the repository's own Dockerfile with BuildKit, the way
# a user's `docker build` would, on a machine without Docker or a registry:
#   - buildkitd and buildctl come from BuildKit's Go module (wrapper module ../go/buildkit), once
#     per version, into ${XDG_CACHE_HOME:-~/.cache}/cnpg-mcp/bin/{buildkitd,buildctl}-<version>;
#   - buildkitd runs with the containerd worker on the local node's containerd (its own
#     namespace "buildkit"), each RUN step in a network namespace with only loopback (a CNI
#     config of the loopback plugin alone): no build step reaches anything off the machine;
#   - buildctl runs the Dockerfile frontend built into it (--frontend dockerfile.v0; `--opt
#     cmdline=` keeps it from fetching the docker/dockerfile:1 frontend image that the
#     Dockerfile's `# syntax=` line names, which a registry-less machine cannot pull), with the
#     base image node:24-bookworm-slim given as a named context from a local OCI layout
#     (../images/build.sh node: Debian bookworm with Node from the npm registry), and the
#     Dockerfile's `npm-cache` stage replaced by a local npm cache seeded on this machine from
#     package-lock.json (npm ci runs with npm_config_offline=true and reads only that cache);
#   - the result is an OCI image tarball under ~/.cache/cnpg-mcp/images, named by a content hash
#     of every input (Dockerfile, .dockerignore, package*.json, tsconfig*.json, src/, the base
#     image and BuildKit versions): a warm run finds it and builds nothing.
#
# Usage:
#   build.sh tools                          build buildkitd and buildctl; prints their paths
#   build.sh --print-image                  "<ref> <tarball>" of the current inputs, no build
#   build.sh image --containerd-socket S    build the image if not cached; prints "<ref> <tarball>"
# The sources are the working tree's; CNPG_MCP_IMAGE_FROM=head (or =<commit>) builds from that
# commit instead (git archive), for a working tree that others are editing at the time.
# Progress goes to stderr. Needs root (buildkitd and the node's containerd run as root).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=../versions.env
source "$here/../versions.env"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/cnpg-mcp"
bin="$cache/bin"
module="$here/../go/buildkit"
buildkit_version="$(sed -n 's/^require github\.com\/moby\/buildkit \(v[^ ]*\)$/\1/p' "$module/go.mod")"
[[ -n "$buildkit_version" ]] || { echo "no 'require github.com/moby/buildkit <version>' in $module/go.mod" >&2; exit 2; }
buildkitd="$bin/buildkitd-$buildkit_version"
buildctl="$bin/buildctl-$buildkit_version"
cni_loopback="$bin/cni-loopback-$CNI_PLUGINS_VERSION" # local-cluster/build.sh builds it for the node

build_tools() {
  [[ -x "$buildkitd" && -x "$buildctl" ]] && return 0
  echo "building buildkitd and buildctl $buildkit_version (first time only)" >&2
  local start=$SECONDS out
  mkdir -p "$bin"
  out="$(mktemp -d "$bin/.build.XXXXXX")"
  # No cgo: static binaries (BuildKit's release builds add seccomp through cgo; the containerd
  # worker has runc apply the runtime's default profile instead).
  (cd "$module" && CGO_ENABLED=0 GOFLAGS=-trimpath go build \
    -ldflags "-s -w -X github.com/moby/buildkit/version.Version=$buildkit_version" \
    -o "$out/" github.com/moby/buildkit/cmd/buildkitd github.com/moby/buildkit/cmd/buildctl)
  mv "$out/buildkitd" "$buildkitd"
  mv "$out/buildctl" "$buildctl"
  rmdir "$out"
  echo "built buildkitd and buildctl in $((SECONDS - start))s" >&2
}

# The files the build reads, each with its hash, plus the versions of what else goes in: one
# line per input, hashed again into the image's tag.
inputs=(Dockerfile .dockerignore package.json package-lock.json tsconfig.json tsconfig.build.json src)
from="${CNPG_MCP_IMAGE_FROM:-worktree}"
rev=""
[[ "$from" != head ]] || from=HEAD
if [[ "$from" != worktree ]]; then
  rev="$(git -C "$repo" rev-parse --verify --quiet "$from^{commit}")" || { echo "CNPG_MCP_IMAGE_FROM=$from: not worktree, head or a commit" >&2; exit 2; }
fi
inputs_hash() {
  (
    cd "$repo"
    printf 'buildkit %s\nbase node %s npm %s\n' "$buildkit_version" "$NODE_VERSION" "$NPM_VERSION"
    # This recipe (how the build is run) counts too.
    sha256sum local-cluster/buildkit/build.sh
    if [[ -n "$rev" ]]; then
      git ls-tree -r "$rev" -- "${inputs[@]}"
    else
      { printf '%s\n' "${inputs[@]:0:6}"; find src -type f; } | LC_ALL=C sort | xargs sha256sum
    fi
  ) | sha256sum | cut -c1-16
}

hash="$(inputs_hash)"
ref="localhost/cnpg-mcp/server:$hash"
tarball="$cache/images/server-$hash.oci.tar"

case "${1:-}" in
tools)
  build_tools
  echo "$buildkitd"
  echo "$buildctl"
  exit 0
  ;;
--print-image)
  echo "$ref $tarball"
  exit 0
  ;;
image) ;;
*)
  echo "usage: build.sh tools | --print-image | image --containerd-socket PATH" >&2
  exit 2
  ;;
esac
shift
socket=""
while (($#)); do
  case "$1" in
  --containerd-socket) socket="$2"; shift 2 ;;
  *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -S "$socket" ]] || { echo "--containerd-socket $socket: not a socket (is the local node running?)" >&2; exit 2; }

if [[ -s "$tarball" ]]; then
  echo "$ref $tarball"
  exit 0
fi
[[ $EUID -eq 0 ]] || { echo "building the server image needs root (buildkitd on the node's containerd)" >&2; exit 1; }
[[ -x "$cni_loopback" ]] || { echo "$cni_loopback is missing: run local-cluster/build.sh first" >&2; exit 1; }
build_tools
# The base image, as an OCI layout directory (buildctl --oci-layout takes a directory).
base_line="$(bash "$here/../images/build.sh" node | tail -n 1)"
base_tarball="${base_line#* }"

start=$SECONDS
mkdir -p "$cache/images"
work="$(mktemp -d "$cache/images/.server.XXXXXX")"
buildkitd_pid=""
cleanup() {
  if [[ -n "$buildkitd_pid" ]]; then
    kill -TERM "$buildkitd_pid" 2>/dev/null || true
    wait "$buildkitd_pid" 2>/dev/null || true
  fi
  # buildkitd's state: the containerd worker keeps snapshots in containerd; what is left here is
  # metadata and its netns mounts (unmounted by buildkitd on exit).
  rm -rf "$work"
}
trap cleanup EXIT

# The npm cache npm ci reads inside the build, seeded by a real `npm ci` of the same lockfile on
# this machine (which reaches the npm registry), kept per lockfile.
if [[ -n "$rev" ]]; then
  lock_files() { git -C "$repo" show "$rev:package.json" "$rev:package-lock.json"; }
else
  lock_files() { cat "$repo/package.json" "$repo/package-lock.json"; }
fi
lock_hash="$(lock_files | sha256sum | cut -c1-16)"
npm_cache="$cache/npm-cache/$lock_hash"
if [[ ! -d "$npm_cache" ]]; then
  echo "seeding the npm cache for the image build from package-lock.json (once per lockfile)" >&2
  seed="$work/seed"
  mkdir -p "$seed" "$npm_cache.tmp"
  if [[ -n "$rev" ]]; then git -C "$repo" archive "$rev" -- package.json package-lock.json | tar -x -C "$seed"
  else cp "$repo/package.json" "$repo/package-lock.json" "$seed/"; fi
  # The same `npm ci` flags as the Dockerfile's build stage (all dependencies; the runtime's
  # --omit=dev install reads a subset of the same cache).
  (cd "$seed" && npm ci --cache "$npm_cache.tmp" --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  mv "$npm_cache.tmp" "$npm_cache"
fi

context="$repo"
if [[ -n "$rev" ]]; then
  context="$work/context"
  mkdir -p "$context"
  git -C "$repo" archive "$rev" -- "${inputs[@]}" | tar -x -C "$context"
fi
mkdir -p "$work/base" "$work/cni-bin" "$work/cni"
tar -xf "$base_tarball" -C "$work/base"
base_digest="$(jq -r '.manifests[0].digest' "$work/base/index.json")"
ln -s "$cni_loopback" "$work/cni-bin/loopback"
# go-cni adds its own loopback network; this one is the "eth" network every RUN step gets. The
# loopback plugin only brings up lo, so the namespace has no other interface.
printf '{"cniVersion":"1.0.0","name":"cnpg-mcp-build-loopback","type":"loopback"}\n' >"$work/cni/loopback.conf"

"$buildkitd" --root "$work/state" --addr "unix://$work/buildkitd.sock" \
  --oci-worker=false --containerd-worker=true --containerd-worker-addr "$socket" \
  --containerd-worker-net=cni --containerd-cni-config-path "$work/cni/loopback.conf" \
  --containerd-cni-binary-dir "$work/cni-bin" >"$work/buildkitd.log" 2>&1 &
buildkitd_pid=$!
ready=""
for _ in $(seq 1 100); do
  if "$buildctl" --addr "unix://$work/buildkitd.sock" debug workers >/dev/null 2>&1; then ready=1; break; fi
  kill -0 "$buildkitd_pid" 2>/dev/null || break
  sleep 0.2
done
if [[ -z "$ready" ]]; then
  echo "buildkitd did not start:" >&2
  tail -n 30 "$work/buildkitd.log" >&2
  exit 1
fi

echo "building $ref from the Dockerfile with BuildKit $buildkit_version (first time for these sources)" >&2
if ! "$buildctl" --addr "unix://$work/buildkitd.sock" build --progress=plain \
  --frontend dockerfile.v0 --opt cmdline= \
  --local context="$context" --local dockerfile="$context" \
  --oci-layout node-base="$work/base" \
  --opt "context:node:24-bookworm-slim=oci-layout://node-base@$base_digest" \
  --local npm-cache="$npm_cache" \
  --opt context:npm-cache=local:npm-cache \
  --opt build-arg:npm_config_offline=true \
  --output "type=oci,dest=$tarball.tmp,name=$ref" 2>"$work/buildctl.log"; then
  rm -f "$tarball.tmp"
  tail -n 60 "$work/buildctl.log" >&2
  echo "buildkitd's log: " >&2
  tail -n 20 "$work/buildkitd.log" >&2
  exit 1
fi
chmod 0644 "$tarball.tmp"
mv "$tarball.tmp" "$tarball"
# One server image is kept (270 MB each; every change of the sources makes a new one), and the
# npm cache of the current lockfile only.
find "$cache/images" -maxdepth 1 -name 'server-*.oci.tar' ! -name "${tarball##*/}" -delete
find "$cache/npm-cache" -mindepth 1 -maxdepth 1 -type d ! -name "$lock_hash" -exec rm -rf {} +
echo "built $ref in $((SECONDS - start))s: $(du -h "$tarball" | cut -f1)" >&2
echo "$ref $tarball"
