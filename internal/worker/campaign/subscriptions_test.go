package campaign

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/channel/senderconfig"
	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/subscription"
	"github.com/retention-dev/retention-operator/internal/subscription/pageserver"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// reopen opens a second, independent handle on the same PostgreSQL schema:
// what a restarted worker process would open.
func reopen(t *testing.T, db *store.DB) *store.DB {
	t.Helper()
	again, err := store.Open(context.Background(), testdb.SchemaDSN(t, testdb.PostgresDSN(), db))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { again.Close() })
	return again
}

var subscriptionKey = bytes.Repeat([]byte("s"), 32)

// What issue 15 asks to see: a real SMTP server receives mails with valid
// List-Unsubscribe and List-Unsubscribe-Post headers; POSTing the link
// unsubscribes that customer from that topic only; forged and altered links
// are refused with 4xx and change nothing; afterwards no send on that topic
// reaches the customer, in another playbook, run by a new worker instance
// over a freshly opened handle on the same PostgreSQL store.
func TestOneClickUnsubscribeEndToEnd(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t, testdb.Postgres(t), store.Open)
	box, port := startMailbox(t)

	// The preference server, on loopback, over the same store.
	var handler http.Handler
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(web.Close)
	prefs := subscription.Config{PublicURL: web.URL, Mailto: "unsubscribe@shop.example",
		Topics: []subscription.Topic{{Name: "offers"}, {Name: "newsletter"}, {Name: "service", Transactional: true}}}
	signer, err := subscription.NewSigner(subscriptionKey)
	if err != nil {
		t.Fatal(err)
	}
	handler = (&pageserver.Server{Namespace: "shop", Config: prefs, Signer: signer, Store: db, Logger: quiet}).Handler()
	linker, err := subscription.NewLinker(prefs, subscriptionKey)
	if err != nil {
		t.Fatal(err)
	}

	src := &memSource{feats: []customer.Features{
		{ID: "ann", Email: "ann@example.com", ConsentEmail: true},
		{ID: "bob", Email: "bob@example.com", ConsentEmail: true},
	}}
	run := func(db *store.DB, cfg journey.Config) *Summary {
		t.Helper()
		sender, err := channel.NewSMTPSender(senderconfig.SMTPConfig{Host: "127.0.0.1", Port: port, From: "Shop <hello@shop.example>",
			TLS: senderconfig.TLSNone, Timeout: 5 * time.Second}, channel.SMTPCredentials{})
		if err != nil {
			t.Fatal(err)
		}
		return runIdle(t, Options{Playbook: cfg, DB: db, Source: src,
			Clock:        (&stepClock{now: time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC), step: time.Hour}).Now,
			Channels:     map[string]channel.Sender{"mail": sender},
			ChannelKinds: map[string]journey.ChannelKind{"mail": journey.KindEmail},
			Preferences:  map[string]*subscription.Linker{"mail": linker}, Logger: quiet})
	}
	send := func(name, topic, body string) journey.Step {
		return journey.Step{Name: name, Send: &journey.SendStep{ChannelRef: "mail", Topic: topic,
			Template: journey.Template{Subject: name, Body: body}}}
	}

	// 1. An offer reaches both customers with RFC 8058 headers.
	run(db, journey.Config{Name: "spring-sale", Namespace: "shop", Trigger: journey.Trigger{SegmentEntry: true},
		Steps: []journey.Step{send("offer", "offers", "20% off. Leave: {{.unsubscribeURL}} Choose: {{.preferencesURL}}")}})
	mails := box.received()
	links := map[string]string{}
	for _, to := range []string{"<ann@example.com>", "<bob@example.com>"} {
		if len(mails[to]) != 1 {
			t.Fatalf("%s received %d mails, want 1", to, len(mails[to]))
		}
		m := mails[to][0]
		if got := m.Header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
			t.Errorf("%s: List-Unsubscribe-Post = %q", to, got)
		}
		lu := regexp.MustCompile(`^<(http://[^>]+/unsubscribe/[^>]+)>, <(mailto:unsubscribe@shop\.example\?subject=unsubscribe%20v1\.[^>]+)>$`).
			FindStringSubmatch(m.Header.Get("List-Unsubscribe"))
		if lu == nil {
			t.Fatalf("%s: List-Unsubscribe = %q; want <http link>, <mailto>", to, m.Header.Get("List-Unsubscribe"))
		}
		var r io.Reader = m.Body
		if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			r = quotedprintable.NewReader(r)
		}
		body, _ := io.ReadAll(r)
		if !strings.Contains(string(body), "Leave: "+lu[1]+" ") || !strings.Contains(string(body), "/preferences/v1.") {
			t.Errorf("%s: the body's {{.unsubscribeURL}} is not the header's link: %s", to, body)
		}
		links[to] = lu[1]
	}
	if links["<ann@example.com>"] == links["<bob@example.com>"] {
		t.Fatal("two customers got the same link")
	}

	// 2. Forged and altered links are refused and change nothing.
	annLink := links["<ann@example.com>"]
	prefix, token, _ := strings.Cut(annLink, "/unsubscribe/")
	parts := strings.Split(token, ".")
	forge := func(payload string) string {
		return prefix + "/unsubscribe/v1." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + parts[2]
	}
	otherKey, _ := subscription.NewSigner(bytes.Repeat([]byte("z"), 32))
	for name, bad := range map[string]string{
		"ann's signature on bob":        forge("email\x00offers\x00bob"),
		"ann's signature on newsletter": forge("email\x00newsletter\x00ann"),
		"signature altered":             annLink[:len(annLink)-1] + map[bool]string{true: "A", false: "B"}[!strings.HasSuffix(annLink, "A")],
		"signed with another key":       prefix + "/unsubscribe/" + otherKey.Token(subscription.Subject{CustomerID: "bob", ChannelKind: "email", Topic: "offers"}),
	} {
		if code := oneClick(t, bad); code < 400 || code > 499 {
			t.Errorf("%s: POST answered %d, want 4xx", name, code)
		}
	}
	if un, err := db.UnsubscribedAmong(ctx, "shop", []string{"ann", "bob"}); err != nil || len(un) != 0 {
		t.Fatalf("after refused links the store holds %v (%v), want nothing", un, err)
	}

	// 3. Ann's own link unsubscribes her from offers, and only that.
	if code := oneClick(t, annLink); code != http.StatusOK {
		t.Fatalf("one-click POST answered %d, want 200", code)
	}
	un, err := db.UnsubscribedAmong(ctx, "shop", []string{"ann", "bob"})
	if err != nil || len(un) != 1 || len(un["ann"]) != 1 || !un["ann"]["email/offers"] {
		t.Fatalf("after ann's one-click the store holds %v (%v), want only ann email/offers", un, err)
	}

	// 4. A new worker instance, on a new handle on the store, runs another
	// playbook: ann gets the newsletter and the service notice but no offer;
	// bob gets all three.
	again := reopen(t, db)
	before := box.received()
	sum := run(again, journey.Config{Name: "summer-sale", Namespace: "shop", Trigger: journey.Trigger{SegmentEntry: true},
		Steps: []journey.Step{send("offer2", "offers", "30% off"), send("letter", "newsletter", "News"), send("receipt", "service", "Your account")}})
	after := box.received()
	subjects := func(to string) []string {
		var out []string
		for _, m := range after[to][len(before[to]):] {
			out = append(out, m.Header.Get("Subject"))
		}
		sort.Strings(out) // sends run concurrently
		return out
	}
	if got := strings.Join(subjects("<ann@example.com>"), ","); got != "letter,receipt" {
		t.Errorf("ann received %q after unsubscribing from offers; want letter,receipt", got)
	}
	if got := strings.Join(subjects("<bob@example.com>"), ","); got != "letter,offer2,receipt" {
		t.Errorf("bob received %q; want letter,offer2,receipt", got)
	}
	if sum.Suppressed[string(ReasonUnsubscribed)] != 1 {
		t.Errorf("suppressed = %v; want unsubscribed: 1", sum.Suppressed)
	}
	// The transactional topic carries no List-Unsubscribe: it cannot be left.
	for _, m := range after["<ann@example.com>"] {
		if m.Header.Get("Subject") == "receipt" && m.Header.Get("List-Unsubscribe") != "" {
			t.Errorf("transactional mail carries List-Unsubscribe %q", m.Header.Get("List-Unsubscribe"))
		}
	}
}

// oneClick POSTs as a mailbox provider does (RFC 8058) and returns the status.
func oneClick(t *testing.T, link string) int {
	t.Helper()
	resp, err := http.Post(link, "application/x-www-form-urlencoded", strings.NewReader(url.Values{"List-Unsubscribe": {"One-Click"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}
