#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kubectl and the CloudNativePG operator from the Go module
# proxy, once per version, into ${XDG_CACHE_HOME:-~/.cache}/cnpg-mcp/bin/<name>-<version>.
# Prints the bin directory's path on its last line. Safe to run repeatedly: a cached binary
# is reused. Cold build on 2 cores: see README ("Local control plane").
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/cnpg-mcp"
bin="$cache/bin"
mkdir -p "$bin"
export GOFLAGS="-trimpath" CGO_ENABLED=0

build() { # name version workdir package
  local out="$bin/$1-$2"
  if [[ -x "$out" ]]; then return; fi
  echo "building $1 $2 (first time only)" >&2
  local start=$SECONDS
  (cd "$3" && go build -ldflags="-s -w" -o "$out.tmp" "$4")
  mv "$out.tmp" "$out"
  echo "built $1 $2 in $((SECONDS - start))s" >&2
}

build etcd "$ETCD_VERSION" "$here/go/etcd" .
build kube-apiserver "$KUBERNETES_VERSION" "$here/go/kubernetes" k8s.io/kubernetes/cmd/kube-apiserver
build kubectl "$KUBERNETES_VERSION" "$here/go/kubernetes" k8s.io/kubernetes/cmd/kubectl

# The operator builds through a wrapper module (go/cnpg) like the others: a plain
# `go install …@version` fails here because the proxy refuses the module's version list.
build cnpg-manager "$CNPG_VERSION" "$here/go/cnpg" github.com/cloudnative-pg/cloudnative-pg/cmd/manager

# The release manifest (CRDs) ships inside the operator's module zip.
manifest="$cache/cnpg-${CNPG_VERSION#v}.yaml"
if [[ ! -s "$manifest" ]]; then
  dir="$(cd "$here/go/cnpg" && go mod download -json "github.com/cloudnative-pg/cloudnative-pg@$CNPG_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
  cp "$dir/releases/cnpg-${CNPG_VERSION#v}.yaml" "$manifest.tmp"
  mv "$manifest.tmp" "$manifest"
fi
echo "$bin"
