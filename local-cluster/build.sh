#!/usr/bin/env bash
# Builds the local cluster's binaries from the Go module proxy, once per version, into
# ${XDG_CACHE_HOME:-~/.cache}/cnpg-mcp/bin/<name>-<version>: etcd, the Kubernetes control plane
# and node agents (one wrapper module, one build), kubectl, the CNI plugins, CoreDNS,
# local-path-provisioner and the CloudNativePG operator. Prints the bin directory's path on its
# last line. Safe to run repeatedly: a cached binary is reused. Figures: docs/control-plane.md.
#   LOCAL_CLUSTER=api-only  builds only what the API-only plane needs (etcd, kube-apiserver,
#                           kubectl, the operator).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/cnpg-mcp"
bin="$cache/bin"
mkdir -p "$bin"
export GOFLAGS="-trimpath" CGO_ENABLED=0

# build <version> <workdir> <ldflags> <name=package>...: one `go build` for every binary of a
# module that is not cached yet (they share compiled packages), each moved into place when done.
build() {
  local version=$1 workdir=$2 ldflags=$3; shift 3
  local names=() packages=() spec
  for spec in "$@"; do
    [[ -x "$bin/${spec%%=*}-$version" ]] && continue
    names+=("${spec%%=*}"); packages+=("${spec#*=}")
  done
  ((${#names[@]})) || return 0
  echo "building ${names[*]} $version (first time only)" >&2
  local start=$SECONDS out
  out="$(mktemp -d "$bin/.build.XXXXXX")"
  local i
  for i in "${!names[@]}"; do
    (cd "$workdir" && go build -ldflags="-s -w $ldflags" -o "$out/${names[$i]}" "${packages[$i]}")
  done
  for i in "${!names[@]}"; do mv "$out/${names[$i]}" "$bin/${names[$i]}-$version"; done
  rmdir "$out"
  echo "built ${names[*]} $version in $((SECONDS - start))s" >&2
}

# Kubernetes binaries report the release they are, not v0.0.0-master (the kubelet and the
# operator read each other's versions; `kubectl version` should tell the truth).
k8s_minor="${KUBERNETES_VERSION#v1.}"; k8s_minor="${k8s_minor%%.*}"
k8s_ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$k8s_minor"
  k8s_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

kube=(kube-apiserver=k8s.io/kubernetes/cmd/kube-apiserver kubectl=k8s.io/kubernetes/cmd/kubectl)
node=""
if [[ "${LOCAL_CLUSTER:-}" != api-only ]]; then
  for name in kube-controller-manager kube-scheduler kubelet kube-proxy; do kube+=("$name=k8s.io/kubernetes/cmd/$name"); done
  cni=github.com/containernetworking/plugins/plugins
  node=1
fi

build "$ETCD_VERSION" "$here/go/etcd" "" etcd=.
build "$KUBERNETES_VERSION" "$here/go/kubernetes" "$k8s_ldflags" "${kube[@]}"
# The operator builds through a wrapper module (go/cnpg) like the others: a plain
# `go install …@version` fails here because the proxy refuses the module's version list.
build "$CNPG_VERSION" "$here/go/cnpg" "" cnpg-manager=github.com/cloudnative-pg/cloudnative-pg/cmd/manager
if [[ -n "$node" ]]; then
  build "$CNI_PLUGINS_VERSION" "$here/go/cni" "" \
    cni-bridge=$cni/main/bridge cni-host-local=$cni/ipam/host-local cni-loopback=$cni/main/loopback cni-portmap=$cni/meta/portmap
  build "$COREDNS_VERSION" "$here/go/coredns" "" coredns=.
  build "$LOCAL_PATH_PROVISIONER_VERSION" "$here/go/local-path" "" local-path-provisioner=github.com/rancher/local-path-provisioner
fi

# The release manifest (CRDs) ships inside the operator's module zip.
manifest="$cache/cnpg-${CNPG_VERSION#v}.yaml"
if [[ ! -s "$manifest" ]]; then
  dir="$(cd "$here/go/cnpg" && go mod download -json "github.com/cloudnative-pg/cloudnative-pg@$CNPG_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
  cp "$dir/releases/cnpg-${CNPG_VERSION#v}.yaml" "$manifest.tmp"
  mv "$manifest.tmp" "$manifest"
fi
echo "$bin"
