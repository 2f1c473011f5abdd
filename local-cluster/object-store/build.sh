#!/usr/bin/env bash
# Builds versitygw (an S3-compatible gateway, Apache-2.0; wrapper module ../go/versitygw) from the
# Go module proxy, once per version, into ${XDG_CACHE_HOME:-~/.cache}/cnpg-mcp/bin/versitygw-<version>,
# and prints its path on the last line. The object store of local-cluster/object-store/store.ts.
# Safe to run repeatedly: a cached binary is reused. The version is the one go.mod requires.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module="$here/../go/versitygw"
bin="${XDG_CACHE_HOME:-$HOME/.cache}/cnpg-mcp/bin"
version="$(sed -n 's/^require github\.com\/versity\/versitygw \(v[^ ]*\)$/\1/p' "$module/go.mod")"
[[ -n "$version" ]] || { echo "no 'require github.com/versity/versitygw <version>' in $module/go.mod" >&2; exit 2; }
binary="$bin/versitygw-$version"
if [[ ! -x "$binary" ]]; then
  echo "building versitygw $version (first time only)" >&2
  start=$SECONDS
  mkdir -p "$bin"
  out="$(mktemp -d "$bin/.build.XXXXXX")"
  trap 'rm -rf "$out"' EXIT
  (cd "$module" && CGO_ENABLED=0 GOFLAGS=-trimpath go build -ldflags "-s -w" -o "$out/versitygw" github.com/versity/versitygw/cmd/versitygw)
  mv "$out/versitygw" "$binary"
  echo "built versitygw $version in $((SECONDS - start))s" >&2
fi
echo "$binary"
