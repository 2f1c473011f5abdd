#!/usr/bin/env bash
# Creates the kind cluster "cnpg-mcp" (kind-config.yaml) and installs the CloudNativePG operator
# at the version the local control plane builds (local-cluster/versions.env), from its release
# manifest. Re-running reuses the cluster and re-applies the manifest. Needs docker, kind, kubectl.
# Then: E2E_CLUSTER=kind npm run e2e
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../local-cluster/versions.env
source "$root/local-cluster/versions.env"
cluster="${KIND_CLUSTER_NAME:-cnpg-mcp}"
context="kind-$cluster"

if kind get clusters 2>/dev/null | grep -qx "$cluster"; then
  echo "kind cluster $cluster exists; reusing it" >&2
else
  kind create cluster --name "$cluster" --config "$root/kind-config.yaml" --wait 180s
fi

# The same file build.sh copies from the operator's Go module, at the same path, so the e2e
# specs read the operator's CRD list from one place on both paths.
cache="${XDG_CACHE_HOME:-$HOME/.cache}/cnpg-mcp"
manifest="$cache/cnpg-${CNPG_VERSION#v}.yaml"
if [[ ! -s "$manifest" ]]; then
  mkdir -p "$cache"
  curl -fsSL -o "$manifest.tmp" \
    "https://raw.githubusercontent.com/cloudnative-pg/cloudnative-pg/${CNPG_VERSION}/releases/cnpg-${CNPG_VERSION#v}.yaml"
  mv "$manifest.tmp" "$manifest"
fi

# Server-side: the CRDs exceed the size limit of the annotation client-side apply writes.
kubectl --context "$context" apply --server-side --force-conflicts -f "$manifest"
# Available means the operator's readiness probe passes, and it is served by the webhook server
# the API server calls for every Cluster write, so specs may start creating objects from here.
kubectl --context "$context" -n cnpg-system wait --for=condition=Available \
  deployment/cnpg-controller-manager --timeout=300s
echo "CloudNativePG $CNPG_VERSION is running in kind cluster $cluster (context $context)" >&2
