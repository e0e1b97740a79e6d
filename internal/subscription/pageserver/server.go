// Package pageserver serves a Channel's one-click unsubscribe links and
// preference page (package subscription makes and checks the links). It
// writes choices to the state store, so it lives apart from package
// subscription, which the manager links and which must not reach a driver.
package pageserver

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/subscription"
)

// maxFormBytes bounds a POST body: a one-click body is 26 bytes, a page
// form a few hundred.
const maxFormBytes = 16 << 10

// maxTopicsPerForm bounds how many topics one form may change.
const maxTopicsPerForm = 64

// Store is the part of the state store the server writes.
type Store interface {
	SetSubscription(ctx context.Context, k store.SubscriptionKey, subscribed bool, at time.Time) error
	SubscriptionChoices(ctx context.Context, namespace, customerID, channelKind string) (map[string]bool, error)
}

// Server serves one Channel's unsubscribe links and preference page.
type Server struct {
	Namespace string
	Config    subscription.Config
	Signer    *subscription.Signer
	Store     Store
	// Now defaults to time.Now.
	Now func() time.Time
	// Logger gets outcomes only: never a token, path or customer id.
	Logger *slog.Logger
}

// Handler routes subscription.UnsubscribePath and PreferencesPath.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+subscription.UnsubscribePath+"{token}", s.showPage)
	mux.HandleFunc("GET "+subscription.PreferencesPath+"{token}", s.showPage)
	mux.HandleFunc("POST "+subscription.UnsubscribePath+"{token}", s.oneClick)
	mux.HandleFunc("POST "+subscription.PreferencesPath+"{token}", s.savePage)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	return mux
}

// subject checks the link; a bad one is answered 403 here.
func (s *Server) subject(w http.ResponseWriter, r *http.Request) (subscription.Subject, bool) {
	sub, err := s.Signer.Parse(r.PathValue("token"))
	if err != nil {
		s.logger().Info("refused a preferences request with an invalid link", "method", r.Method)
		writePage(w, http.StatusForbidden, pageData{Message: "This link is not valid. Use the link from your most recent message."})
		return subscription.Subject{}, false
	}
	return sub, true
}

// postedSubject is subject for a POST, with its form parsed; on false the
// refusal has been written.
func (s *Server) postedSubject(w http.ResponseWriter, r *http.Request) (subscription.Subject, bool) {
	sub, ok := s.subject(w, r)
	if !ok {
		return sub, false
	}
	if err := parseForm(w, r); err != nil {
		writePage(w, http.StatusBadRequest, pageData{Message: err.Error()})
		return sub, false
	}
	return sub, true
}

// oneClick is RFC 8058: a POST whose body is List-Unsubscribe=One-Click
// unsubscribes the link's customer from the link's topic, without login or
// confirmation. The choice is committed before the answer.
func (s *Server) oneClick(w http.ResponseWriter, r *http.Request) {
	sub, ok := s.postedSubject(w, r)
	if !ok {
		return
	}
	if r.PostForm.Get("List-Unsubscribe") != "One-Click" {
		writePage(w, http.StatusBadRequest, pageData{Message: "A one-click unsubscribe needs the body List-Unsubscribe=One-Click (RFC 8058)."})
		return
	}
	if s.Config.Transactional(sub.Topic) {
		writePage(w, http.StatusConflict, pageData{Message: "This topic carries messages about your orders and account and cannot be turned off."})
		return
	}
	if !s.record(w, r, sub, map[string]bool{sub.Topic: false}) {
		return
	}
	s.logger().Info("recorded a one-click unsubscribe", "topic", sub.Topic, "channelKind", sub.ChannelKind)
	s.render(w, r, sub, "You are unsubscribed from "+sub.Topic+".")
}

// savePage applies the preference form: every topic the page showed is set
// to whether its box was ticked; transactional topics are left alone.
func (s *Server) savePage(w http.ResponseWriter, r *http.Request) {
	sub, ok := s.postedSubject(w, r)
	if !ok {
		return
	}
	shown, ticked := r.PostForm["shown"], r.PostForm["topic"]
	if len(shown) > maxTopicsPerForm {
		writePage(w, http.StatusBadRequest, pageData{Message: "The form names too many topics."})
		return
	}
	offered := s.offered(sub)
	choices := map[string]bool{}
	for _, t := range shown {
		if !slices.Contains(offered, t) || s.Config.Transactional(t) {
			continue
		}
		choices[t] = slices.Contains(ticked, t)
	}
	if !s.record(w, r, sub, choices) {
		return
	}
	s.logger().Info("recorded preference page choices", "topics", len(choices), "channelKind", sub.ChannelKind)
	s.render(w, r, sub, "Your preferences are saved.")
}

func (s *Server) showPage(w http.ResponseWriter, r *http.Request) {
	if sub, ok := s.subject(w, r); ok {
		s.render(w, r, sub, "")
	}
}

// record writes each choice durably; on failure the customer is told to
// try again and nothing claims success.
func (s *Server) record(w http.ResponseWriter, r *http.Request, sub subscription.Subject, choices map[string]bool) bool {
	now := s.now()
	for _, topic := range slices.Sorted(maps.Keys(choices)) {
		k := store.SubscriptionKey{Namespace: s.Namespace, CustomerID: sub.CustomerID, ChannelKind: sub.ChannelKind, Topic: topic}
		if err := s.Store.SetSubscription(r.Context(), k, choices[topic], now); err != nil {
			s.logger().Error("recording a subscription choice failed", "err", err)
			writePage(w, http.StatusServiceUnavailable, pageData{Message: "Your choice could not be saved. Please try again in a minute."})
			return false
		}
	}
	return true
}

// render shows the page with the customer's current choices; a topic with
// no recorded choice shows subscribed (the DataSource's consent decides it).
func (s *Server) render(w http.ResponseWriter, r *http.Request, sub subscription.Subject, msg string) {
	choices, err := s.Store.SubscriptionChoices(r.Context(), s.Namespace, sub.CustomerID, sub.ChannelKind)
	if err != nil {
		s.logger().Error("reading subscription choices failed", "err", err)
		writePage(w, http.StatusServiceUnavailable, pageData{Message: "Your preferences could not be read. Please try again in a minute."})
		return
	}
	// Relative, so the form works behind a path prefix too.
	d := pageData{Message: msg, Action: "../preferences/" + s.Signer.Token(sub)}
	for _, name := range s.offered(sub) {
		t := pageTopic{Name: name, Subscribed: true, Transactional: s.Config.Transactional(name)}
		for _, c := range s.Config.Topics {
			if c.Name == name {
				t.Description = c.Description
			}
		}
		if v, ok := choices[name]; ok && !t.Transactional {
			t.Subscribed = v
		}
		d.Topics = append(d.Topics, t)
	}
	writePage(w, http.StatusOK, d)
}

// offered is the configured topics plus the link's own.
func (s *Server) offered(sub subscription.Subject) []string {
	var out []string
	for _, t := range s.Config.Topics {
		out = append(out, t.Name)
	}
	if !slices.Contains(out, sub.Topic) {
		out = append(out, sub.Topic)
	}
	return out
}

// parseForm reads a bounded urlencoded body.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct != "" && !strings.HasPrefix(ct, "application/x-www-form-urlencoded") && !strings.HasPrefix(ct, "multipart/form-data") {
		return errors.New("send the form as application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if strings.HasPrefix(ct, "multipart/form-data") {
		if err := r.ParseMultipartForm(maxFormBytes); err != nil {
			return errors.New("the form could not be read (at most 16 KiB)")
		}
		return nil
	}
	if ct == "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if err := r.ParseForm(); err != nil {
		return errors.New("the form could not be read (at most 16 KiB)")
	}
	return nil
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}
