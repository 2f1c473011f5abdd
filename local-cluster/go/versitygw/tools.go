//go:build tools

// Wrapper module pinning versitygw, an S3-compatible gateway (Apache-2.0) whose posix backend
// serves buckets from a directory, for local-cluster/object-store/build.sh: the object store
// that Clusters with spec.backup.barmanObjectStore back up to on the local node.
package tools

import _ "github.com/versity/versitygw/cmd/versitygw"
