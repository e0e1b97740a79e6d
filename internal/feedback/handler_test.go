package feedback_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/feedback"
	"github.com/retention-dev/retention-operator/internal/feedback/providerwebhook"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

var mailgunKey = []byte("key-3ax6xnjp29jd6fds4gc373sgvjxteol0")

// rig is a feedback endpoint on loopback over a real store, with one key
// per provider.
type rig struct {
	db  *store.DB
	srv *httptest.Server
	sg  providerwebhook.SendGridKey
	now time.Time
}

func newRig(t *testing.T, db *store.DB) *rig {
	t.Helper()
	if err := db.MigrateSuppressions(context.Background()); err != nil {
		t.Fatal(err)
	}
	sg, err := providerwebhook.NewSendGridKey()
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{db: db, sg: sg, now: time.Now().UTC().Truncate(time.Second)}
	sgp, err := feedback.NewSendGrid(sg.Public, "sendgrid-verification-key", 0)
	if err != nil {
		t.Fatal(err)
	}
	mgp, err := feedback.NewMailgun(mailgunKey, "mailgun-signing-key", 0)
	if err != nil {
		t.Fatal(err)
	}
	h := feedback.Handler(db, feedback.Options{Namespace: "shop", Clock: func() time.Time { return r.now }},
		sgp, mgp, feedback.NewPostmark([]byte("hooks"), []byte("pm-pass-1")))
	r.srv = httptest.NewServer(h)
	t.Cleanup(r.srv.Close)
	return r
}

func (r *rig) url(provider string) string { return r.srv.URL + "/feedback/" + provider }

func (r *rig) post(t *testing.T, req *http.Request, err error) (int, string) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	code, body, err := providerwebhook.Post(req)
	if err != nil {
		t.Fatal(err)
	}
	return code, body
}

func (r *rig) sendgrid(t *testing.T, evs ...providerwebhook.SendGridEvent) (int, string) {
	req, err := providerwebhook.SendGridRequest(r.url("sendgrid"), r.sg, r.now, evs...)
	return r.post(t, req, err)
}

func (r *rig) mailgun(t *testing.T, key []byte, ts time.Time, ev providerwebhook.MailgunEvent) (int, string) {
	body, err := providerwebhook.MailgunBody(key, ts, "tok-"+ev.ID, ev)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, r.url("mailgun"), bytes.NewReader(body))
	return r.post(t, req, err)
}

func (r *rig) postmark(t *testing.T, user, pass string, rec providerwebhook.PostmarkBounce) (int, string) {
	body, _ := json.Marshal(rec)
	req, err := http.NewRequest(http.MethodPost, r.url("postmark"), bytes.NewReader(body))
	if err == nil {
		req.SetBasicAuth(user, pass)
	}
	return r.post(t, req, err)
}

func (r *rig) suppressed(t *testing.T, addrs ...string) map[string]string {
	t.Helper()
	got, err := r.db.SuppressedAddresses(context.Background(), "shop", addrs)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// rows counts what the store holds: feedback rows and suppressions.
func (r *rig) rows(t *testing.T) (feedbackRows, suppressions int) {
	t.Helper()
	ctx := context.Background()
	if err := r.db.QueryRow(ctx, `SELECT count(*) FROM suppression_feedback`).Scan(&feedbackRows); err != nil {
		t.Fatal(err)
	}
	if err := r.db.QueryRow(ctx, `SELECT count(*) FROM suppressions`).Scan(&suppressions); err != nil {
		t.Fatal(err)
	}
	return feedbackRows, suppressions
}

func dbs() map[string]func(testing.TB) *store.DB {
	return map[string]func(testing.TB) *store.DB{
		"sqlite":   func(t testing.TB) *store.DB { return testdb.Open(t, testdb.SQLite(t), store.Open) },
		"postgres": func(t testing.TB) *store.DB { return testdb.Open(t, testdb.Postgres(t), store.Open) },
	}
}

func decodeResult(t *testing.T, body string) feedback.Result {
	t.Helper()
	var res feedback.Result
	if err := json.Unmarshal([]byte(body), &res); err != nil {
		t.Fatalf("answer %q: %v", body, err)
	}
	return res
}

// A hard bounce (SendGrid, Postmark) and a complaint (Mailgun, SendGrid),
// each signed or authenticated in the provider's real format, suppress the
// address with its reason; delivered and open events are ignored.
func TestSignedHardBounceAndComplaintSuppress(t *testing.T) {
	for name, open := range dbs() {
		t.Run(name, func(t *testing.T) {
			r := newRig(t, open(t))
			code, body := r.sendgrid(t,
				providerwebhook.SendGridEvent{Email: "gone@example.com", Timestamp: r.now.Unix(), Event: "bounce", Type: "bounce",
					Reason: "550 5.1.1 The email account that you tried to reach does not exist", Status: "5.1.1",
					SGEventID: "sg-ev-1", SGMessage: "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0"},
				providerwebhook.SendGridEvent{Email: "angry@example.com", Timestamp: r.now.Unix(), Event: "spamreport", SGEventID: "sg-ev-2"},
				providerwebhook.SendGridEvent{Email: "happy@example.com", Timestamp: r.now.Unix(), Event: "delivered", SGEventID: "sg-ev-3"})
			if code != http.StatusOK {
				t.Fatalf("sendgrid: %d %s", code, body)
			}
			if res := decodeResult(t, body); res != (feedback.Result{Received: 3, Recorded: 2, Ignored: 1, Suppressed: 2}) {
				t.Fatalf("sendgrid result %+v", res)
			}
			code, body = r.mailgun(t, mailgunKey, r.now, providerwebhook.MailgunEvent{Event: "complained", Recipient: "spam@example.com",
				Timestamp: float64(r.now.Unix()) + 0.529, ID: "-Agny091SquKnsrW2NEKUA", LogLevel: "warn"})
			if code != http.StatusOK || decodeResult(t, body).Suppressed != 1 {
				t.Fatalf("mailgun: %d %s", code, body)
			}
			code, body = r.postmark(t, "hooks", "pm-pass-1", providerwebhook.PostmarkBounce{RecordType: "Bounce", ID: 4323372036854775807,
				Type: "HardBounce", TypeCode: 1, Name: "Hard bounce", Email: "nobody@example.com", MessageStream: "outbound",
				BouncedAt: r.now.Format(time.RFC3339Nano), Inactive: true})
			if code != http.StatusOK || decodeResult(t, body).Suppressed != 1 {
				t.Fatalf("postmark: %d %s", code, body)
			}
			code, body = r.postmark(t, "hooks", "pm-pass-1", providerwebhook.PostmarkBounce{RecordType: "SpamComplaint", ID: 42,
				Type: "SpamComplaint", TypeCode: 512, Email: "reported@example.com", BouncedAt: r.now.Format(time.RFC3339)})
			if code != http.StatusOK || decodeResult(t, body).Suppressed != 1 {
				t.Fatalf("postmark spam complaint: %d %s", code, body)
			}
			// A SendGrid block is a soft bounce: recorded, not (yet) suppressing.
			code, body = r.sendgrid(t, providerwebhook.SendGridEvent{Email: "busy@example.com", Timestamp: r.now.Unix(), Event: "bounce",
				Type: "blocked", SGEventID: "sg-ev-4"})
			if res := decodeResult(t, body); code != http.StatusOK || res.Recorded != 1 || res.Suppressed != 0 {
				t.Fatalf("sendgrid blocked: %d %s", code, body)
			}
			got := r.suppressed(t, "gone@example.com", "angry@example.com", "spam@example.com", "nobody@example.com",
				"reported@example.com", "happy@example.com", "busy@example.com")
			want := map[string]string{"gone@example.com": "bounced", "angry@example.com": "complained",
				"spam@example.com": "complained", "nobody@example.com": "bounced", "reported@example.com": "complained"}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("suppressed %v, want %v", got, want)
			}
		})
	}
}

// Badly signed, tampered, replayed-too-old and unauthenticated requests are
// refused with 401 naming the field, never echo the key or the address, and
// change nothing in the store.
func TestBadlySignedRequestsAreRefusedAndChangeNothing(t *testing.T) {
	for name, open := range dbs() {
		t.Run(name, func(t *testing.T) {
			r := newRig(t, open(t))
			other, _ := providerwebhook.NewSendGridKey()
			ev := providerwebhook.SendGridEvent{Email: "victim@example.com", Timestamp: r.now.Unix(), Event: "bounce", Type: "bounce", SGEventID: "sg-x"}
			body, _ := json.Marshal([]providerwebhook.SendGridEvent{ev})
			// Signed by SendGrid's key, then the timestamp header changed: the
			// signature no longer covers it.
			altered, _ := providerwebhook.SignedSendGridRequest(r.url("sendgrid"), r.sg, strconv.FormatInt(r.now.Unix(), 10), body)
			altered.Header.Set(feedback.SendGridTimestampHeader, strconv.FormatInt(r.now.Unix()+1, 10))
			wrongKey, _ := providerwebhook.SendGridRequest(r.url("sendgrid"), other, r.now, ev)
			old, _ := providerwebhook.SendGridRequest(r.url("sendgrid"), r.sg, r.now.Add(-time.Hour), ev)
			unsigned, _ := http.NewRequest(http.MethodPost, r.url("sendgrid"), bytes.NewReader(body))
			type refusal struct {
				code        int
				body, field string
			}
			cases := map[string]refusal{}
			for label, req := range map[string]*http.Request{"sendgrid wrong key": wrongKey, "sendgrid timestamp altered": altered,
				"sendgrid replayed an hour later": old, "sendgrid unsigned": unsigned} {
				code, b := r.post(t, req, nil)
				cases[label] = refusal{code, b, "X-Twilio-Email-Event-Webhook-"}
			}
			mgEv := providerwebhook.MailgunEvent{Event: "failed", Severity: "permanent", Recipient: "victim@example.com", Timestamp: float64(r.now.Unix()), ID: "mg-x"}
			code, b := r.mailgun(t, []byte("not-the-signing-key"), r.now, mgEv)
			cases["mailgun wrong key"] = refusal{code, b, "signature.signature"}
			code, b = r.mailgun(t, mailgunKey, r.now.Add(-10*time.Minute), mgEv)
			cases["mailgun replayed ten minutes later"] = refusal{code, b, "signature.timestamp"}
			pm := providerwebhook.PostmarkBounce{RecordType: "Bounce", ID: 7, Type: "HardBounce", TypeCode: 1, Email: "victim@example.com",
				BouncedAt: r.now.Format(time.RFC3339)}
			code, b = r.postmark(t, "hooks", "guess", pm)
			cases["postmark wrong password"] = refusal{code, b, "Authorization"}
			for label, c := range cases {
				if c.code != http.StatusUnauthorized || !strings.Contains(c.body, c.field) {
					t.Errorf("%s: %d %q, want 401 naming %s", label, c.code, c.body, c.field)
				}
				for _, leak := range []string{"victim", string(mailgunKey), "pm-pass-1", string(r.sg.Public)} {
					if strings.Contains(c.body, leak) {
						t.Errorf("%s: answer %q echoes %q", label, c.body, leak)
					}
				}
			}
			if len(cases) != 7 {
				t.Fatalf("%d cases ran, want 7", len(cases))
			}
			if f, s := r.rows(t); f != 0 || s != 0 {
				t.Fatalf("refused requests left %d feedback rows and %d suppressions", f, s)
			}
			if got := r.suppressed(t, "victim@example.com"); len(got) != 0 {
				t.Fatalf("victim suppressed: %v", got)
			}
		})
	}
}

// The same provider event delivered twice (a provider retry) is recorded
// once; soft bounces suppress only at the third within the window.
func TestReplayCountsOnceAndSoftBouncesAfterLimit(t *testing.T) {
	for name, open := range dbs() {
		t.Run(name, func(t *testing.T) {
			r := newRig(t, open(t))
			soft := func(id string) feedback.Result {
				code, body := r.mailgun(t, mailgunKey, r.now, providerwebhook.MailgunEvent{Event: "failed", Severity: "temporary",
					Reason: "generic", Recipient: "full@example.com", Timestamp: float64(r.now.Unix()), ID: id})
				if code != http.StatusOK {
					t.Fatalf("soft bounce %s: %d %s", id, code, body)
				}
				return decodeResult(t, body)
			}
			if res := soft("mg-1"); res.Recorded != 1 || res.Suppressed != 0 {
				t.Fatalf("first soft bounce: %+v", res)
			}
			if res := soft("mg-1"); res.Duplicates != 1 || res.Recorded != 0 {
				t.Fatalf("replayed soft bounce: %+v, want a duplicate", res)
			}
			if res := soft("mg-2"); res.Suppressed != 0 {
				t.Fatalf("second soft bounce suppressed: %+v", res)
			}
			if got := r.suppressed(t, "full@example.com"); len(got) != 0 {
				t.Fatalf("suppressed after 2 soft bounces (one replayed): %v", got)
			}
			if res := soft("mg-3"); res.Suppressed != 1 {
				t.Fatalf("third soft bounce: %+v, want suppressed", res)
			}
			if got := r.suppressed(t, "full@example.com"); got["full@example.com"] != "bounced" {
				t.Fatalf("after the limit: %v", got)
			}
			if f, _ := r.rows(t); f != 3 {
				t.Fatalf("feedback rows %d, want 3 (the replay is not one)", f)
			}
		})
	}
}

// Bounded input: oversized bodies, deep JSON, too many events, overlong
// fields and unknown providers are refused with a 4xx naming the problem,
// and record nothing.
func TestBoundedInput(t *testing.T) {
	r := newRig(t, testdb.Open(t, testdb.SQLite(t), store.Open))
	ts := strconv.FormatInt(r.now.Unix(), 10)
	signed := func(body []byte) *http.Request {
		req, err := providerwebhook.SignedSendGridRequest(r.url("sendgrid"), r.sg, ts, body)
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	many := make([]providerwebhook.SendGridEvent, feedback.MaxEvents+1)
	for i := range many {
		many[i] = providerwebhook.SendGridEvent{Email: "a@example.com", Timestamp: r.now.Unix(), Event: "bounce", SGEventID: fmt.Sprint(i)}
	}
	manyBody, _ := json.Marshal(many)
	unknown, _ := http.NewRequest(http.MethodPost, r.url("ses"), strings.NewReader("{}"))
	cases := []struct {
		name string
		req  *http.Request
		code int
		want string
	}{
		{"body over 1 MiB", signed(bytes.Repeat([]byte(" "), feedback.MaxBodyBytes+1)), http.StatusRequestEntityTooLarge, "body: larger than 1 MiB"},
		{"deep JSON", signed([]byte(strings.Repeat("[", 100) + strings.Repeat("]", 100))), http.StatusBadRequest, "nests deeper than"},
		{"not an array", signed([]byte(`{"email":"a@example.com"}`)), http.StatusBadRequest, "not a JSON array"},
		{"too many events", signed(manyBody), http.StatusRequestEntityTooLarge, "more than 1000 in one request"},
		{"address too long", signed([]byte(`[{"event":"bounce","sg_event_id":"x","email":"` + strings.Repeat("a", 400) + `@example.com"}]`)),
			http.StatusBadRequest, "body[0]: recipient address longer than"},
		{"no event id", signed([]byte(`[{"event":"spamreport","email":"a@example.com"}]`)), http.StatusBadRequest, "body[0]: no event id"},
		{"wrong type", signed([]byte(`[{"event":"bounce","sg_event_id":"x","email":"a@example.com","timestamp":"soon"}]`)),
			http.StatusBadRequest, "body[0].timestamp"},
		{"unknown provider", unknown, http.StatusNotFound, "no feedback provider configured"},
	}
	for _, c := range cases {
		code, body := r.post(t, c.req, nil)
		if code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %q, want %d containing %q", c.name, code, body, c.code, c.want)
		}
	}
	if f, s := r.rows(t); f != 0 || s != 0 {
		t.Fatalf("refused requests left %d feedback rows and %d suppressions", f, s)
	}
}

// Providers come from the Secret's keys; a bad or missing key is named,
// its value never shown; SES is refused with the reason.
func TestProvidersFromSecrets(t *testing.T) {
	sg, _ := providerwebhook.NewSendGridKey()
	secrets := mapSecrets{feedback.SendGridKeySecret: sg.Public, feedback.MailgunKeySecret: mailgunKey,
		feedback.PostmarkUserSecret: []byte("u"), feedback.PostmarkPasswordSecret: []byte("p")}
	ps, err := feedback.ProvidersFromSecrets(secrets, []string{"sendgrid", "mailgun", "postmark"}, 0)
	if err != nil || len(ps) != 3 {
		t.Fatalf("%v %v", ps, err)
	}
	bad := mapSecrets{feedback.SendGridKeySecret: []byte("c2VjcmV0LWJ1dC1ub3QtYS1rZXk=")}
	_, err = feedback.ProvidersFromSecrets(bad, []string{"sendgrid"}, 0)
	if err == nil || !strings.Contains(err.Error(), feedback.SendGridKeySecret) || strings.Contains(err.Error(), "c2VjcmV0") {
		t.Fatalf("bad key: %v", err)
	}
	if _, err := feedback.ProvidersFromSecrets(mapSecrets{}, []string{"mailgun"}, 0); err == nil || !strings.Contains(err.Error(), feedback.MailgunKeySecret) {
		t.Fatalf("missing key: %v", err)
	}
	if _, err := feedback.ProvidersFromSecrets(secrets, []string{"ses"}, 0); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Fatalf("ses: %v", err)
	}
}

type mapSecrets map[string][]byte

func (m mapSecrets) Secret(key string) ([]byte, error) {
	if v, ok := m[key]; ok {
		return v, nil
	}
	return nil, fmt.Errorf("secret %q is missing", key)
}
