package specmap

import (
	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/subscription"
)

// Preferences maps a Channel's spec.preferences onto the link and page
// configuration, the signing key's Secret key and the feedback providers,
// validated (subscription.Config.Validate). It is nil when the Channel sets
// none.
func Preferences(spec *v1alpha1.ChannelSpec) (*contract.ChannelPreferences, error) {
	p := spec.Preferences
	if p == nil {
		return nil, nil
	}
	cfg := subscription.Config{PublicURL: p.PublicURL, Mailto: p.Mailto}
	for _, t := range p.Topics {
		cfg.Topics = append(cfg.Topics, subscription.Topic{Name: t.Name, Description: t.Description, Transactional: t.Transactional})
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	out := &contract.ChannelPreferences{Config: cfg,
		SigningKey: contract.SecretKey{Name: p.SigningKeyRef.Name, Key: p.SigningKeyRef.Key}}
	if f := p.Feedback; f != nil {
		for _, name := range f.Providers {
			out.Feedback = append(out.Feedback, string(name))
		}
	}
	return out, nil
}
