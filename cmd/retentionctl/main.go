// Command retentionctl lints, previews and reports on retention.dev
// resources, and runs the operator locally (retentionctl dev). See docs/cli.md.
package main

import (
	"os"

	"github.com/retention-dev/retention-operator/internal/cli"
)

func main() { os.Exit(cli.Main("retentionctl")) }
