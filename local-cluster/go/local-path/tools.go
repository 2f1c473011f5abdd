//go:build tools

// Package tools pins rancher's local-path-provisioner (what kind ships as its default
// StorageClass), run out of cluster by the local node to make a volume per claim.
package tools

import _ "github.com/rancher/local-path-provisioner"
