// Command retentionctl lints, previews and reports on retention.dev
// resources, and runs the operator locally (retentionctl dev). See docs/cli.md.
package main

import (
	// The time-zone database is compiled in: quiet hours and local-time waits
	// must work in a minimal image that ships no zoneinfo.
	_ "time/tzdata"

	"os"

	"github.com/retention-dev/retention-operator/internal/cli"
)

func main() { os.Exit(cli.Main("retentionctl")) }
