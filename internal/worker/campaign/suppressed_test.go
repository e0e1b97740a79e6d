package campaign

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/feedback"
	"github.com/retention-dev/retention-operator/internal/feedback/providerwebhook"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
)

func oneMailPlaybook(name string) journey.Config {
	return onEntry(name, "hello", "mail", journey.Template{Subject: "Hi", Body: "Hello {{.email}}"})
}

// runMail runs pb over src until idle and returns its last summary.
func runMail(t *testing.T, db *store.DB, pb journey.Config, src *memSource, mail channel.Sender, at time.Time) *Summary {
	t.Helper()
	return runIdle(t, Options{Playbook: pb, DB: db, Source: src, Clock: (&stepClock{now: at, step: time.Minute}).Now,
		Channels: map[string]channel.Sender{"mail": mail}, ChannelKinds: map[string]journey.ChannelKind{"mail": journey.KindEmail},
		InSegment: everyone, Logger: quiet})
}

// mailTo is a customer and the address mailed.
type mailTo struct{ id, email string }

// leavePending commits a pending "hello" mail of playbook (namespace shop)
// to each customer, as a worker that crashed before sending leaves them.
func leavePending(t *testing.T, db *store.DB, playbook string, at time.Time, to ...mailTo) {
	t.Helper()
	var rows []store.Delivery
	for _, c := range to {
		rows = append(rows, store.Delivery{Key: journey.IdempotencyKey(playbook, c.id, 1, "hello"), Namespace: "shop",
			Playbook: playbook, CustomerID: c.id, Step: "hello", Kind: store.DeliveryMessage, Channel: "mail", To: c.email,
			Subject: "Hi", Body: "Hello", Status: store.DeliveryPending, CreatedAt: at})
	}
	if err := db.JourneyTx(context.Background(), "shop", playbook, nil, at, func(map[string]int) (*store.JourneyBatch, error) {
		return &store.JourneyBatch{Deliveries: rows}, nil
	}); err != nil {
		t.Fatal(err)
	}
}

// A hard bounce (SendGrid, ECDSA-signed) and a complaint (Mailgun,
// HMAC-signed) arrive at the feedback endpoint over HTTP after a first
// playbook mailed three customers; the next playbook's sends to those two
// addresses are counted suppressed (bounced, complained) and never reach
// the SMTP server, while the third customer, whom a badly signed bounce
// tried to suppress, still gets hers.
func TestBouncedAndComplainedAddressesAreNotMailed(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.MigrateSuppressions(ctx); err != nil {
			t.Fatal(err)
		}
		mb, mail := startMailboxSender(t)
		src := &memSource{}
		for _, c := range []struct{ id, email string }{{"c1", "gone@example.com"}, {"c2", "Angry@Example.com"}, {"c3", "fine@example.com"}} {
			src.feats = append(src.feats, customer.Features{ID: c.id, Email: c.email, ConsentEmail: true, TimeZone: "UTC"})
		}
		start := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
		first := runMail(t, db, oneMailPlaybook("welcome"), src, mail, start)
		if got := mb.recipients(); len(got) != 3 || first.Sent != 3 {
			t.Fatalf("first playbook: received %v, summary sent %d; want all three", got, first.Sent)
		}

		sg, err := providerwebhook.NewSendGridKey()
		if err != nil {
			t.Fatal(err)
		}
		mgKey := []byte("mailgun-webhook-signing-key")
		sgp, _ := feedback.NewSendGrid(sg.Public, "sendgrid-verification-key", 0)
		mgp, _ := feedback.NewMailgun(mgKey, "mailgun-signing-key", 0)
		hooks := httptest.NewServer(feedback.Handler(db, feedback.Options{Namespace: "shop"}, sgp, mgp))
		t.Cleanup(hooks.Close)
		now := time.Now()
		req, err := providerwebhook.SendGridRequest(hooks.URL+"/feedback/sendgrid", sg, now, providerwebhook.SendGridEvent{
			Email: "gone@example.com", Timestamp: now.Unix(), Event: "bounce", Type: "bounce", Status: "5.1.1", SGEventID: "sg-1"})
		if code, body, err := providerwebhook.Post(req); err != nil || code != http.StatusOK {
			t.Fatalf("sendgrid hard bounce: %d %s %v", code, body, err)
		}
		body, _ := providerwebhook.MailgunBody(mgKey, now, "tok-1", providerwebhook.MailgunEvent{Event: "complained",
			Recipient: "angry@example.com", Timestamp: float64(now.Unix()), ID: "mg-1"})
		req, _ = http.NewRequest(http.MethodPost, hooks.URL+"/feedback/mailgun", bytes.NewReader(body))
		if code, body, err := providerwebhook.Post(req); err != nil || code != http.StatusOK {
			t.Fatalf("mailgun complaint: %d %s %v", code, body, err)
		}
		forged, _ := providerwebhook.MailgunBody([]byte("guessed-key"), now, "tok-2", providerwebhook.MailgunEvent{Event: "failed",
			Severity: "permanent", Recipient: "fine@example.com", Timestamp: float64(now.Unix()), ID: "mg-2"})
		req, _ = http.NewRequest(http.MethodPost, hooks.URL+"/feedback/mailgun", bytes.NewReader(forged))
		if code, body, err := providerwebhook.Post(req); err != nil || code != http.StatusUnauthorized {
			t.Fatalf("forged bounce: %d %s %v, want 401", code, body, err)
		}

		second := runMail(t, db, oneMailPlaybook("winback"), src, mail, start.Add(time.Hour))
		perAddress := map[string]int{}
		for _, r := range mb.recipients() {
			perAddress[r]++
		}
		if want := map[string]int{"gone@example.com": 1, "Angry@Example.com": 1, "fine@example.com": 2}; fmt.Sprint(perAddress) != fmt.Sprint(want) {
			t.Fatalf("SMTP server received %v, want %v (only fine@example.com mailed again)", perAddress, want)
		}
		if second.Sent != 1 || second.Suppressed["bounced"] != 1 || second.Suppressed["complained"] != 1 || second.Pending != 0 {
			t.Fatalf("second playbook summary: sent %d pending %d suppressed %v; want sent 1, bounced 1, complained 1",
				second.Sent, second.Pending, second.Suppressed)
		}
		// Running the suppressed playbook again (a restart) counts nothing twice.
		again := runMail(t, db, oneMailPlaybook("winback"), src, mail, start.Add(2*time.Hour))
		if again.Suppressed["bounced"] != 1 || again.Suppressed["complained"] != 1 || len(mb.recipients()) != 4 {
			t.Fatalf("restart: suppressed %v, received %v", again.Suppressed, mb.recipients())
		}
	})
}

// Messages a crashed worker left pending are checked again before they are
// sent: an address that bounced while the worker was down, or a customer who
// clicked the unsubscribe link after the message was planned, is not sent
// to (counted suppressed for that reason), and the other customer's row
// still goes out.
func TestPendingMessagesAreCheckedAgainAtRestart(t *testing.T) {
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name, playbook, topic string
		gone                  string // c1's address, withdrawn while the worker was down
		migrate               func(*store.DB) []func(context.Context) error
		withdraw              func(context.Context, *store.DB) error
		reason                string // what the withdrawn message is counted as
	}{
		{name: "suppressed address", playbook: "welcome", gone: "gone@example.com",
			migrate: func(db *store.DB) []func(context.Context) error {
				return []func(context.Context) error{db.MigrateJourney, db.MigrateSuppressions}
			},
			withdraw: func(ctx context.Context, db *store.DB) error {
				_, err := db.RecordFeedback(ctx, "shop", store.Feedback{Provider: "postmark", EventID: "1", Address: "gone@example.com",
					Kind: store.FeedbackHardBounce, At: at}, store.SoftBouncePolicy{})
				return err
			},
			reason: "bounced"},
		{name: "unsubscribed", playbook: "offers", topic: "offers", gone: "left@example.com",
			migrate: func(db *store.DB) []func(context.Context) error {
				return []func(context.Context) error{db.MigrateJourney, db.MigrateSuppressions, db.MigrateSubscriptions}
			},
			withdraw: func(ctx context.Context, db *store.DB) error {
				return db.SetSubscription(ctx, store.SubscriptionKey{Namespace: "shop", CustomerID: "c1", ChannelKind: "email", Topic: "offers"},
					false, at.Add(time.Second))
			},
			reason: string(ReasonUnsubscribed)},
	} {
		t.Run(c.name, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				for _, m := range c.migrate(db) {
					if err := m(ctx); err != nil {
						t.Fatal(err)
					}
				}
				mb, mail := startMailboxSender(t)
				leavePending(t, db, c.playbook, at, mailTo{"c1", c.gone}, mailTo{"c3", "fine@example.com"})
				if err := c.withdraw(ctx, db); err != nil {
					t.Fatal(err)
				}
				pb := oneMailPlaybook(c.playbook)
				pb.Steps[0].Send.Topic = c.topic
				s := runMail(t, db, pb, &memSource{}, mail, at.Add(time.Minute))
				if got := mb.recipients(); fmt.Sprint(got) != "[fine@example.com]" {
					t.Fatalf("SMTP server received %v, want [fine@example.com]", got)
				}
				if s.Sent != 1 || s.Pending != 0 || s.Suppressed[c.reason] != 1 {
					t.Fatalf("summary sent %d pending %d suppressed %v; want sent 1, %s 1", s.Sent, s.Pending, s.Suppressed, c.reason)
				}
			})
		})
	}
}
