// Command worker is the one binary the operator's worker pods run
// (`/worker metrics|campaign|loyalty|loyalty-metrics --spec PATH`); see
// internal/worker/cmd.
package main

import (
	"os"

	"github.com/retention-dev/retention-operator/internal/worker/cmd"
)

func main() {
	os.Exit(cmd.Execute(os.Args[1:], os.Stdout, os.Stderr))
}
