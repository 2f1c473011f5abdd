//go:build tools

// Wrapper module pinning BuildKit (buildkitd and buildctl, with buildctl's built-in Dockerfile
// frontend) for local-cluster/buildkit/build.sh: no release tarball can be fetched here.
package tools

import (
	_ "github.com/moby/buildkit/cmd/buildctl"
	_ "github.com/moby/buildkit/cmd/buildkitd"
)
