// Command kubectl-retention is retentionctl installed as the kubectl plugin
// `kubectl retention`. See docs/cli.md.
package main

import (
	"os"

	"github.com/retention-dev/retention-operator/internal/cli"
)

func main() { os.Exit(cli.Main("kubectl retention")) }
