package redact

import (
	"slices"
	"testing"

	"github.com/retention-dev/retention-operator/internal/contract"
)

// SecretEnv spells the names out (this package imports nothing of the
// project); this keeps them the names the controller fills from Secrets.
func TestSecretEnvMatchesWorkerConfig(t *testing.T) {
	want := []string{contract.EnvDataSourceDSN, contract.EnvStateStore}
	if !slices.Equal(SecretEnv, want) {
		t.Errorf("SecretEnv = %v, want %v", SecretEnv, want)
	}
}
