// Command coredns is CoreDNS with only the plugins the local node's cluster DNS needs.
// Upstream's main imports every plugin; this one leaves out `forward` and every other plugin
// that could send a query off the machine, so pods resolve cluster names and nothing else.
package main

import (
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
)

func main() { coremain.Run() }
