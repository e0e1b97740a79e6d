// Command worker is the one binary the operator's worker pods run
// (`/worker metrics|campaign|loyalty|loyalty-metrics --spec PATH`); see
// internal/worker/cmd.
package main

import (
	// The time-zone database is compiled in: quiet hours and local-time waits
	// must work in a minimal image that ships no zoneinfo.
	_ "time/tzdata"

	"os"

	"github.com/retention-dev/retention-operator/internal/worker/cmd"
)

func main() {
	os.Exit(cmd.Execute(os.Args[1:], os.Stdout, os.Stderr))
}
