package cmd

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Version is the release, set at build time with
// -ldflags "-X github.com/retention-dev/retention-operator/internal/worker/cmd.Version=v1.2.3".
var Version = "dev"

func versionCommand(g *globals) *cobra.Command {
	return noArgsCommand("version", "Print the worker's version, commit and Go version", func(_ context.Context) error {
		_, err := fmt.Fprintf(g.stdout, "worker %s (commit %s, %s)\n", Version, commit(), runtime.Version())
		return err
	})
}

// commit is the VCS revision go build stamped into the binary ("unknown"
// when built without VCS information, e.g. go test or -buildvcs=false).
func commit() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, dirty := "unknown", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}
