package specmap

import (
	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/subscription"
)

// Preferences maps a Channel's spec.preferences onto the link and page
// configuration (the key stays in its Secret). ok is false when the
// Channel sets none.
func Preferences(spec *v1alpha1.ChannelSpec) (cfg subscription.Config, ok bool, err error) {
	p := spec.Preferences
	if p == nil {
		return cfg, false, nil
	}
	cfg = subscription.Config{PublicURL: p.PublicURL, Mailto: p.Mailto}
	for _, t := range p.Topics {
		cfg.Topics = append(cfg.Topics, subscription.Topic{Name: t.Name, Description: t.Description, Transactional: t.Transactional})
	}
	return cfg, true, cfg.Validate()
}
