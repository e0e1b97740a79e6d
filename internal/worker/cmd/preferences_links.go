package cmd

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/specmap"
	"github.com/retention-dev/retention-operator/internal/subscription"
	"github.com/retention-dev/retention-operator/internal/workerconfig"
)

// preferenceLinkers signs the links of every Channel that sets
// spec.preferences, with its key mounted at
// workload.SecretsDir/preferences/<channel>/<key>.
func preferenceLinkers(specs map[string]v1alpha1.ChannelSpec) (map[string]*subscription.Linker, error) {
	out := map[string]*subscription.Linker{}
	for _, name := range slices.Sorted(maps.Keys(specs)) { // the first error is the same on every start
		spec := specs[name]
		cfg, ok, err := specmap.Preferences(&spec)
		if err != nil {
			return nil, fmt.Errorf("channel %s: %w", name, err)
		}
		if !ok {
			continue
		}
		key, err := preferencesKey(name, spec.Preferences)
		if err != nil {
			return nil, err
		}
		if out[name], err = subscription.NewLinker(cfg, key); err != nil {
			return nil, fmt.Errorf("channel %s: %w", name, err)
		}
	}
	return out, nil
}

// preferencesKey reads the mounted signing key; the error names the Secret
// and key, never the value.
func preferencesKey(channel string, p *v1alpha1.Preferences) ([]byte, error) {
	key, err := os.ReadFile(filepath.Join(secretsDir(workerconfig.PreferencesSecretsDir, channel), p.SigningKeyRef.Key))
	if err != nil {
		return nil, fmt.Errorf("channel %s: spec.preferences.signingKeyRef: key %q of Secret %q is not mounted: %w",
			channel, p.SigningKeyRef.Key, p.SigningKeyRef.Name, err)
	}
	return key, nil
}
