#!/usr/bin/env bash
# Renders the Helm chart with its default values into plain manifests, for installing without
# Helm (docs/deployment.md, "Without Helm"):
#   deploy/manifests/cnpg-mcp.yaml
#   deploy/manifests/kubernetes-deployment.yaml   (the same content, under the name the guide uses;
#                                                  a copy, not a symlink, so raw downloads work)
# Usage: scripts/render-manifests.sh           write both files   (npm run render:manifests)
#        scripts/render-manifests.sh --check   fail if they differ from a fresh rendering
#                                              (npm run check:manifests)
# helm comes from scripts/build-helm.sh (built once from the Go module proxy, then cached).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
chart="$root/deploy/helm/cnpg-mcp"
out_dir="$root/deploy/manifests"
files=(cnpg-mcp.yaml kubernetes-deployment.yaml)
release=cnpg-mcp
namespace=cnpg-mcp

helm="$(bash "$root/scripts/build-helm.sh" | tail -n 1)"

render() {
  cat <<HEADER
# cnpg-mcp: plain Kubernetes manifests rendered from the Helm chart deploy/helm/cnpg-mcp with its
# default values, release "$release" in namespace "$namespace". Generated: do not edit by hand;
# change the chart and run \`npm run render:manifests\` (\`npm run check:manifests\` verifies).
#
# Before applying: set the image (build it from the repository's Dockerfile), and create the
# token Secret the server reads (one token per line):
#   kubectl apply -f cnpg-mcp.yaml
#   kubectl -n $namespace create secret generic $release-auth --from-file=tokens=./tokens
# See docs/deployment.md for RBAC, NetworkPolicy, TLS and token rotation.
---
apiVersion: v1
kind: Namespace
metadata:
  name: $namespace
  labels:
    # The pod spec meets the "restricted" Pod Security Standard; enforce it.
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
HEADER
  "$helm" template "$release" "$chart" --namespace "$namespace"
}

if [[ "${1:-}" == "--check" ]]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  render >"$tmp/rendered.yaml"
  status=0
  for f in "${files[@]}"; do
    if ! diff -u "$out_dir/$f" "$tmp/rendered.yaml" >"$tmp/diff" 2>&1; then
      echo "deploy/manifests/$f is not what the chart renders:" >&2
      head -n 60 "$tmp/diff" >&2
      status=1
    fi
  done
  if [[ $status -ne 0 ]]; then
    echo "Run: npm run render:manifests" >&2
    exit 1
  fi
  echo "deploy/manifests are up to date with the chart (helm ${helm##*/helm-})"
  exit 0
fi

mkdir -p "$out_dir"
render >"$out_dir/${files[0]}.tmp"
for f in "${files[@]:1}"; do cp "$out_dir/${files[0]}.tmp" "$out_dir/$f"; done
mv "$out_dir/${files[0]}.tmp" "$out_dir/${files[0]}"
echo "rendered ${files[*]/#/deploy/manifests/} (helm ${helm##*/helm-})"
