//go:build tools

// Package tools pins the CNI plugins the local node uses, so `go mod tidy` keeps their
// dependencies: bridge (pods on the node's own bridge), host-local (addresses), loopback and
// portmap (hostPort).
package tools

import (
	_ "github.com/containernetworking/plugins/plugins/ipam/host-local"
	_ "github.com/containernetworking/plugins/plugins/main/bridge"
	_ "github.com/containernetworking/plugins/plugins/main/loopback"
	_ "github.com/containernetworking/plugins/plugins/meta/portmap"
)
