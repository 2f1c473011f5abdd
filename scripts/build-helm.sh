#!/usr/bin/env bash
# Builds the helm CLI from the Go module proxy, once per version, into
# ${XDG_CACHE_HOME:-~/.cache}/cnpg-mcp/bin/helm-<version> (the same cache as
# local-cluster/build.sh). Prints the binary's path on its last line. Safe to run
# repeatedly: a cached binary is reused.
#
# The version is written once, in deploy/tools/helm/go.mod (a wrapper module with a go.sum,
# so the build is pinned and verified; `go install …@version` needs the proxy's version list,
# which it sometimes refuses).
#   --print-path   print where the binary would be, build nothing (exit 1 if it is not cached)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
module="$root/deploy/tools/helm"
version="$(sed -n 's/^require helm\.sh\/helm\/v[0-9]* \(v[^ ]*\)$/\1/p' "$module/go.mod")"
if [[ -z "$version" ]]; then
  echo "build-helm: no 'require helm.sh/helm/vN <version>' line in $module/go.mod" >&2
  exit 2
fi
major="${version%%.*}" # v4
bin="${XDG_CACHE_HOME:-$HOME/.cache}/cnpg-mcp/bin"
out="$bin/helm-$version"

if [[ "${1:-}" == "--print-path" ]]; then
  echo "$out"
  [[ -x "$out" ]]
  exit
fi

if [[ ! -x "$out" ]]; then
  command -v go >/dev/null || { echo "build-helm: Go is needed to build helm $version (https://go.dev/dl/)" >&2; exit 2; }
  mkdir -p "$bin"
  echo "building helm $version (first time only)" >&2
  start=$SECONDS
  # As helm's own Makefile does: static, stripped, with the release version stamped in.
  pkg="helm.sh/helm/$major/internal/version"
  (cd "$module" && CGO_ENABLED=0 GOFLAGS=-trimpath go build \
    -ldflags="-s -w -X $pkg.version=$version -X $pkg.gitTreeState=clean" \
    -o "$out.tmp" "helm.sh/helm/$major/cmd/helm")
  mv "$out.tmp" "$out"
  echo "built helm $version in $((SECONDS - start))s" >&2
fi
echo "$out"
