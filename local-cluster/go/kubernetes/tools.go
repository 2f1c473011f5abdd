//go:build tools

// Package tools pins the commands this module builds, so `go mod tidy` keeps their dependencies:
// the control plane (kube-apiserver, kube-controller-manager, kube-scheduler), the node's agents
// (kubelet, kube-proxy) and kubectl, all from the same k8s.io/kubernetes release.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
