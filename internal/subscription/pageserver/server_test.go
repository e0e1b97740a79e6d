package pageserver_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/subscription"
	"github.com/retention-dev/retention-operator/internal/subscription/pageserver"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// pageServer serves a Channel's page over a real PostgreSQL store on loopback.
func pageServer(t *testing.T) (*httptest.Server, *subscription.Signer, *store.DB) {
	t.Helper()
	db := testdb.Open(t, testdb.Postgres(t), store.Open)
	if err := db.MigrateSubscriptions(context.Background()); err != nil {
		t.Fatal(err)
	}
	signer, err := subscription.NewSigner(bytes.Repeat([]byte("p"), 32))
	if err != nil {
		t.Fatal(err)
	}
	cfg := subscription.Config{PublicURL: "https://prefs.shop.example", Topics: []subscription.Topic{
		{Name: "newsletter", Description: "Monthly <letter>"}, {Name: "offers"}, {Name: "service", Transactional: true}}}
	srv := httptest.NewServer((&pageserver.Server{Namespace: "shop", Config: cfg, Signer: signer, Store: db}).Handler())
	t.Cleanup(srv.Close)
	return srv, signer, db
}

func post(t *testing.T, u string, form url.Values) (int, string) {
	t.Helper()
	resp, err := http.Post(u, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The page form sets each shown topic to its box; transactional topics and
// topics the page does not offer are never written.
func TestPreferencePageForm(t *testing.T) {
	srv, signer, db := pageServer(t)
	ctx := context.Background()
	tok := signer.Token(subscription.Subject{CustomerID: "c-1", ChannelKind: "email", Topic: "offers"})

	resp, err := http.Get(srv.URL + subscription.PreferencesPath + tok)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Referrer-Policy") != "no-referrer" ||
		!strings.Contains(string(page), "Monthly &lt;letter&gt;") || strings.Contains(string(page), "c-1") {
		t.Fatalf("GET page: %d %v\n%s", resp.StatusCode, resp.Header, page)
	}

	code, _ := post(t, srv.URL+subscription.PreferencesPath+tok, url.Values{
		"shown": {"newsletter", "offers", "service", "made-up"}, "topic": {"newsletter", "made-up"}})
	if code != 200 {
		t.Fatalf("POST form answered %d", code)
	}
	got, err := db.SubscriptionChoices(ctx, "shop", "c-1", "email")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got["newsletter"] || got["offers"] {
		t.Fatalf("choices = %v; want newsletter=true offers=false and nothing for service or made-up", got)
	}
	// The page reflects it: offers unticked.
	resp, _ = http.Get(srv.URL + subscription.PreferencesPath + tok)
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `value="offers">`) || !strings.Contains(string(page), `value="newsletter" checked>`) {
		t.Fatalf("page does not show the saved choices:\n%s", page)
	}
}

// One-click on a transactional topic, without the RFC 8058 body, or with an
// oversized body is refused and records nothing.
func TestOneClickRefusals(t *testing.T) {
	srv, signer, db := pageServer(t)
	link := func(topic string) string {
		return srv.URL + subscription.UnsubscribePath + signer.Token(subscription.Subject{CustomerID: "c-2", ChannelKind: "email", Topic: topic})
	}
	oneClick := url.Values{"List-Unsubscribe": {"One-Click"}}
	for name, c := range map[string]struct {
		link string
		form url.Values
		want int
	}{
		"transactional":       {link("service"), oneClick, http.StatusConflict},
		"no RFC 8058 body":    {link("offers"), url.Values{"x": {"y"}}, http.StatusBadRequest},
		"body over the limit": {link("offers"), url.Values{"List-Unsubscribe": {"One-Click"}, "pad": {strings.Repeat("a", 20<<10)}}, http.StatusBadRequest},
		"unsigned":            {srv.URL + subscription.UnsubscribePath + "v1.ZW1haWwAb2ZmZXJzAGMtMg.AAAA", oneClick, http.StatusForbidden},
	} {
		if code, _ := post(t, c.link, c.form); code != c.want {
			t.Errorf("%s: %d, want %d", name, code, c.want)
		}
	}
	if got, _ := db.SubscriptionChoices(context.Background(), "shop", "c-2", "email"); len(got) != 0 {
		t.Fatalf("refused requests recorded %v", got)
	}
}
