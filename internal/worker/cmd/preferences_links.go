package cmd

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/subscription"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// preferenceLinkers signs the links of every Channel that sets
// spec.preferences, with its key mounted at
// workload.SecretsDir/preferences/<channel>/<key>.
func preferenceLinkers(channels map[string]contract.Channel, paths workload.Paths) (map[string]*subscription.Linker, error) {
	out := map[string]*subscription.Linker{}
	for _, name := range slices.Sorted(maps.Keys(channels)) { // the first error is the same on every start
		p := channels[name].Preferences
		if p == nil {
			continue
		}
		key, err := preferencesKey(name, p, paths)
		if err != nil {
			return nil, err
		}
		if out[name], err = subscription.NewLinker(p.Config, key); err != nil {
			return nil, fmt.Errorf("channel %s: %w", name, err)
		}
	}
	return out, nil
}

// preferencesKey reads the mounted signing key; the error names the Secret
// and key, never the value.
func preferencesKey(channel string, p *contract.ChannelPreferences, paths workload.Paths) ([]byte, error) {
	key, err := os.ReadFile(filepath.Join(paths.Secrets(contract.PreferencesSecretsDir, channel), p.SigningKey.Key))
	if err != nil {
		return nil, fmt.Errorf("channel %s: spec.preferences.signingKeyRef: key %q of Secret %q is not mounted: %w",
			channel, p.SigningKey.Key, p.SigningKey.Name, err)
	}
	return key, nil
}
