package cmd

import (
	"strings"
	"testing"

	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// Every worker (metrics, campaign, loyalty) reads the state store through
// stateStoreURL: a value from some other Secret, or a bare file path, is
// refused without being echoed, never opened as SQLite.
func TestStateStoreURLRefusesValuesThatAreNotURLs(t *testing.T) {
	const planted = "S3cr3t-PLANT-xyz"
	for _, root := range []string{"", t.TempDir()} {
		for _, v := range []string{planted, "/proc/self/environ", "./" + planted + ".db", "file:" + planted} {
			t.Setenv(contract.EnvStateStore, v)
			g := &globals{paths: workload.Paths{Root: root}}
			got, err := g.stateStoreURL()
			if err == nil || !strings.Contains(err.Error(), "is not a postgres:// URL") || strings.Contains(err.Error(), planted) {
				t.Errorf("root %q value %q: got %q, err %v; want a refusal that does not echo the value", root, v, got, err)
			}
		}
	}
}
