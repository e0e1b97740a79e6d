package subscription

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Topic is one subject of mail a customer may choose to receive.
type Topic struct {
	// Name is a DNS label, e.g. newsletter.
	Name string `json:"name"`
	// Description is shown on the preference page.
	Description string `json:"description,omitempty"`
	// Transactional topics (receipts, password resets) cannot be left: their
	// mail carries no List-Unsubscribe header and the page shows them fixed.
	Transactional bool `json:"transactional,omitempty"`
}

// Config is one Channel's preferences: where its links point, the optional
// mailto and the topics its page offers. The key is held by the Signer.
type Config struct {
	// PublicURL is the base the links start with, e.g.
	// https://preferences.shop.example (no query, no fragment).
	PublicURL string
	// Mailto, e.g. unsubscribe@shop.example, is offered next to the link.
	Mailto string
	// Topics offered on the page; a link's own topic is always shown.
	Topics []Topic
}

// Paths the server serves under PublicURL.
const (
	UnsubscribePath = "/unsubscribe/"
	PreferencesPath = "/preferences/"
)

// Validate checks the public URL and mailto, naming the field to fix.
func (c *Config) Validate() error {
	u, err := url.Parse(c.PublicURL)
	if err != nil || u.Host == "" || !(u.Scheme == "https" || u.Scheme == "http" && loopback(u.Hostname())) ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("spec.preferences.publicURL %q: give an absolute https:// URL without query or fragment, e.g. https://preferences.shop.example (http:// only for localhost)", c.PublicURL)
	}
	if c.Mailto != "" && (strings.ContainsAny(c.Mailto, "<>\r\n ,?") || !strings.Contains(c.Mailto, "@")) {
		return fmt.Errorf("spec.preferences.mailto %q: give a bare address such as unsubscribe@shop.example", c.Mailto)
	}
	return nil
}

// Transactional reports whether topic is marked transactional.
func (c *Config) Transactional(topic string) bool {
	for _, t := range c.Topics {
		if t.Name == topic {
			return t.Transactional
		}
	}
	return false
}

// Links are the URLs one message carries.
type Links struct {
	// Unsubscribe is empty for transactional topics.
	Unsubscribe string
	Preferences string
	// Mailto is "mailto:ADDRESS?subject=unsubscribe%20TOKEN" when configured.
	Mailto string
}

// Linker makes the links of one Channel.
type Linker struct {
	cfg    Config
	signer *Signer
}

// NewLinker validates cfg and returns a Linker signing with key.
func NewLinker(cfg Config, key []byte) (*Linker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s, err := NewSigner(key)
	if err != nil {
		return nil, err
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	return &Linker{cfg: cfg, signer: s}, nil
}

// Links returns the signed links for sub.
func (l *Linker) Links(sub Subject) Links {
	tok := l.signer.Token(sub)
	out := Links{Preferences: l.cfg.PublicURL + PreferencesPath + tok}
	if !l.cfg.Transactional(sub.Topic) {
		out.Unsubscribe = l.cfg.PublicURL + UnsubscribePath + tok
		if l.cfg.Mailto != "" {
			out.Mailto = "mailto:" + l.cfg.Mailto + "?subject=" + url.PathEscape("unsubscribe "+tok)
		}
	}
	return out
}

// loopback hosts may use plain http (local runs and tests): nothing leaves the machine.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Transactional reports whether the Linker's Channel marks topic transactional.
func (l *Linker) Transactional(topic string) bool { return l.cfg.Transactional(topic) }
