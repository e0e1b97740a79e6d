package ingest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/store"
)

// A spec client's track, identify and batch calls are stored once each,
// reposts included; identify updates the traits; track events read back as
// the campaign worker's events with their properties.
func TestSpecClientCallsStoredOnce(t *testing.T) {
	received := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	srv, db := apiServer(t, func() time.Time { return received })
	calls := []struct {
		call string
		body map[string]any
	}{
		{"track", map[string]any{"messageId": "m-track-1", "userId": "u1", "event": "cart_updated",
			"properties": map[string]any{"total": 42.5, "currency": "EUR", "items": []string{"mug"}},
			"timestamp":  "2026-11-30T11:59:00Z"}},
		{"identify", map[string]any{"messageId": "m-identify-1", "userId": "u1",
			"traits": map[string]any{"email": "u1@example.com", "timezone": "Europe/Paris", "consentEmail": true, "plan": "gold"}}},
		{"page", map[string]any{"messageId": "m-page-1", "anonymousId": "anon-7", "name": "Checkout"}},
		{"alias", map[string]any{"messageId": "m-alias-1", "previousId": "anon-7", "userId": "u1"}},
		{"batch", map[string]any{"batch": []any{
			map[string]any{"type": "track", "messageId": "m-batch-1", "userId": "u2", "event": "order_placed",
				"properties": map[string]any{"total": 120}},
			map[string]any{"type": "identify", "messageId": "m-batch-2", "userId": "u2", "traits": map[string]any{"consentEmail": false}},
			map[string]any{"type": "track", "messageId": "m-batch-3", "anonymousId": "anon-9", "event": "cart_updated"},
		}}},
	}
	for round := 0; round < 2; round++ { // the second round reposts every call
		for _, c := range calls {
			code, answer := specPost(t, srv.URL, c.call, testKey, c.body)
			if code != 200 || answer["success"] != true {
				t.Fatalf("round %d %s: %d %v", round, c.call, code, answer)
			}
		}
	}
	ids, err := db.IngestedMessageIDs(context.Background(), testSource)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"m-track-1", "m-identify-1", "m-page-1", "m-alias-1", "m-batch-1", "m-batch-2", "m-batch-3"}
	if got := storedRows(t, db); got != len(want) {
		t.Errorf("%d rows stored after posting every call twice, want %d (ids %v)", got, len(want), ids)
	}
	for _, id := range want {
		if ids[id] != 1 {
			t.Errorf("messageId %s stored %d times, want 1", id, ids[id])
		}
	}

	var events []customer.Event
	if err := db.ScanIngestedEvents(context.Background(), testSource, time.Time{}, func(e *customer.Event) error {
		events = append(events, *e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(events) != 3 {
		t.Fatalf("%d track events read back, want 3: %+v", len(events), events)
	}
	first := events[0]
	if first.CustomerID != "u1" || first.Type != "cart_updated" || !first.OccurredAt.Equal(received.Add(-time.Minute)) ||
		first.Properties["total"] != "42.5" || first.Properties["currency"] != "EUR" || first.Properties["items"] != `["mug"]` {
		t.Errorf("first track event read back as %+v", first)
	}

	traits := map[string]store.Traits{}
	if err := db.IngestedTraits(context.Background(), testSource, func(tr *store.Traits) error {
		traits[tr.CustomerID] = *tr
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	u1 := traits["u1"]
	if u1.Email != "u1@example.com" || u1.TimeZone != "Europe/Paris" || u1.ConsentEmail == nil || !*u1.ConsentEmail ||
		u1.Attributes["plan"] != "gold" {
		t.Errorf("u1 traits %+v", u1)
	}
	if u2 := traits["u2"]; u2.ConsentEmail == nil || *u2.ConsentEmail {
		t.Errorf("u2 traits %+v, want consentEmail false", u2)
	}
}

// An identify older than the stored one changes nothing; a newer one merges
// its custom traits into the stored ones.
func TestIdentifyOrder(t *testing.T) {
	srv, db := apiServer(t, nil)
	post := func(id, ts string, traits map[string]any) {
		code, answer := specPost(t, srv.URL, "identify", testKey, map[string]any{"messageId": id, "userId": "u1", "timestamp": ts, "traits": traits})
		if code != 200 {
			t.Fatalf("identify %s: %d %v", id, code, answer)
		}
	}
	post("i2", "2026-11-30T10:00:00Z", map[string]any{"email": "new@example.com", "plan": "gold"})
	post("i1", "2026-11-30T09:00:00Z", map[string]any{"email": "old@example.com", "plan": "free"})
	post("i3", "2026-11-30T11:00:00Z", map[string]any{"city": "Lyon"})
	var got store.Traits
	if err := db.IngestedTraits(context.Background(), testSource, func(tr *store.Traits) error { got = *tr; return nil }); err != nil {
		t.Fatal(err)
	}
	if got.Email != "new@example.com" || got.Attributes["plan"] != "gold" || got.Attributes["city"] != "Lyon" {
		t.Errorf("traits %+v, want the 10:00 email and plan with the 11:00 city merged in", got)
	}
}

// Bad payloads are refused with a 4xx whose JSON names the problem, and
// nothing of them is stored (a batch with one bad message stores none).
func TestBadPayloadsRefused(t *testing.T) {
	srv, db := apiServer(t, nil)
	good := map[string]any{"type": "track", "userId": "u1", "event": "ok", "messageId": "good-1"}
	big := strings.Repeat("x", MaxMessageBytes)
	var hugeBatch []any
	for i := 0; len(hugeBatch)*20*1024 <= MaxBatchBytes; i++ {
		hugeBatch = append(hugeBatch, map[string]any{"type": "track", "userId": "u1", "event": "e",
			"messageId": fmt.Sprint("h", i), "properties": map[string]any{"pad": strings.Repeat("y", 20*1024)}})
	}
	cases := []struct {
		name, call, key string
		body            any
		status          int
		mention         string
	}{
		{"no user", "track", testKey, map[string]any{"event": "e"}, 400, "userId or an anonymousId"},
		{"no user in batch", "batch", testKey, map[string]any{"batch": []any{good, map[string]any{"type": "track", "event": "e"}}}, 400, "batch[1].userId"},
		{"userId number", "track", testKey, map[string]any{"userId": 42, "event": "e"}, 400, "userId: want a string"},
		{"event object", "track", testKey, map[string]any{"userId": "u", "event": map[string]any{}}, 400, "event: want a string"},
		{"no event", "track", testKey, map[string]any{"userId": "u"}, 400, "event: required"},
		{"properties array", "track", testKey, map[string]any{"userId": "u", "event": "e", "properties": []int{1}}, 400, "properties: want a JSON object"},
		{"traits string", "identify", testKey, map[string]any{"userId": "u", "traits": "x"}, 400, "traits: want a JSON object"},
		{"consent string", "identify", testKey, map[string]any{"userId": "u", "traits": map[string]any{"consentEmail": "yes"}}, 400, "traits.consentEmail: want a bool"},
		{"bad time zone", "identify", testKey, map[string]any{"userId": "u", "traits": map[string]any{"timezone": "Mars/Olympus"}}, 400, "traits.timezone"},
		{"bad timestamp", "track", testKey, map[string]any{"userId": "u", "event": "e", "timestamp": "yesterday"}, 400, "timestamp: want an ISO-8601"},
		{"batch type", "batch", testKey, map[string]any{"batch": []any{map[string]any{"type": "purchase", "userId": "u"}}}, 400, "batch[0].type"},
		{"batch missing", "batch", testKey, map[string]any{"events": []any{good}}, 400, "batch: required"},
		{"alias without previousId", "alias", testKey, map[string]any{"userId": "u"}, 400, "previousId"},
		{"malformed JSON", "track", testKey, `{"userId": "u", "event": `, 400, "malformed JSON"},
		{"not an object", "track", testKey, `[1,2]`, 400, "want a JSON object"},
		{"oversize call", "track", testKey, map[string]any{"userId": "u", "event": "e", "properties": map[string]any{"pad": big}}, 413, "32 KB"},
		{"oversize batch", "batch", testKey, map[string]any{"batch": hugeBatch}, 413, "500 KB"},
		{"oversize message in batch", "batch", testKey, map[string]any{"batch": []any{good, map[string]any{"type": "track", "userId": "u", "event": "e",
			"properties": map[string]any{"pad": big}}}}, 413, "batch[1]"},
		{"wrong write key", "track", "wk_wrong", good, 401, "write key"},
		{"no write key", "track", "", good, 401, "write key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, answer := specPost(t, srv.URL, c.call, c.key, c.body)
			msg, _ := answer["error"].(string)
			if code != c.status || answer["success"] != false || !strings.Contains(msg, c.mention) {
				t.Errorf("%d %v, want %d with an error mentioning %q", code, answer, c.status, c.mention)
			}
			if strings.Contains(msg, testKey) || strings.Contains(msg, "wk_wrong") {
				t.Errorf("error echoes a write key: %q", msg)
			}
		})
	}
	if n := storedRows(t, db); n != 0 {
		t.Errorf("%d rows stored from refused requests, want 0", n)
	}
}

// The spec's timestamps: receivedAt without a timestamp, the timestamp as
// given without sentAt, and receivedAt - (sentAt - timestamp) with both.
func TestEventTime(t *testing.T) {
	recv := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	ts := recv.Add(-10 * time.Minute)
	sent := recv.Add(5 * time.Minute) // the device clock runs 5 minutes fast
	cases := []struct {
		name      string
		timestamp *time.Time
		sentAt    *time.Time
		want      time.Time
	}{
		{"neither", nil, nil, recv},
		{"sentAt only", nil, &sent, recv},
		{"timestamp only", &ts, nil, ts},
		{"both: skew corrected", &ts, &sent, recv.Add(-15 * time.Minute)},
	}
	for _, c := range cases {
		if got := eventTime(c.timestamp, c.sentAt, recv); !got.Equal(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// A batch's top-level sentAt corrects every message that has none.
func TestBatchSentAtCorrectsMessages(t *testing.T) {
	recv := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	srv, db := apiServer(t, func() time.Time { return recv })
	code, answer := specPost(t, srv.URL, "batch", testKey, map[string]any{"sentAt": "2026-11-30T12:02:00Z", "batch": []any{
		map[string]any{"type": "track", "messageId": "s1", "userId": "u", "event": "e", "timestamp": "2026-11-30T12:01:00Z"},
	}})
	if code != 200 {
		t.Fatalf("%d %v", code, answer)
	}
	var at time.Time
	if err := db.ScanIngestedEvents(context.Background(), testSource, time.Time{}, func(e *customer.Event) error { at = e.OccurredAt; return nil }); err != nil {
		t.Fatal(err)
	}
	if want := recv.Add(-time.Minute); !at.Equal(want) {
		t.Errorf("occurred at %v, want %v (receivedAt - (sentAt - timestamp))", at, want)
	}
}
