package campaign

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// expiringAPI stands in for the loyalty API's GET /v1/expiring on loopback:
// it serves members as the loyalty worker encodes them, or 503 while down.
type expiringAPI struct {
	mu       sync.Mutex
	members  []map[string]any
	down     bool
	requests int
	srv      *httptest.Server
}

func newExpiringAPI(t *testing.T) *expiringAPI {
	a := &expiringAPI{}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.requests++
		if r.URL.Path != "/v1/expiring" || r.Header.Get("Authorization") != "Bearer admin" {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		if a.down {
			http.Error(w, "draining", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"members": a.members})
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *expiringAPI) set(down bool, members ...map[string]any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.down, a.members = down, members
}

func expiring(id string, points int64, at time.Time) map[string]any {
	return map[string]any{"memberId": id, "points": points, "expiresAt": at.Format(time.RFC3339)}
}

// fetch is a minimal client of the stand-in (the worker binary has its own).
func (a *expiringAPI) fetch(ctx context.Context) ([]ExpiringPoints, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.srv.URL+"/v1/expiring", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer admin")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	// encoding/json matches memberId, points and expiresAt to
	// ExpiringPoints' fields by name, ignoring case.
	var page struct{ Members []ExpiringPoints }
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		return nil, err
	}
	return page.Members, nil
}

// A points_expiring trigger enrols the listed segment members once per
// expiry date: customers(6) gives webhook consent to all but cust-0002 and
// cust-0005; the segment is monetary <= 4 (cust-0000..0004). Listed are
// cust-0000 and cust-0001 (consent, in segment), cust-0002 (no consent) and
// cust-0005 (outside the segment); cust-0003 and cust-0004 are not listed.
// The re-entry cool-down (1 day) is shorter than the runs' spacing, so only
// the remembered expiry date keeps run 3 from reminding again; a new date
// (the next lot) reminds again.
func TestPointsExpiringTrigger(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
		d1, d2 := now.Add(5*24*time.Hour), now.Add(9*24*time.Hour)
		api := newExpiringAPI(t)
		recv := newReceiver(t, 0)
		cfg := journey.Config{Name: "shop/expiry", Namespace: "shop",
			Trigger: journey.Trigger{Event: &journey.EventTrigger{Type: PointsExpiringEvent, ProgramRef: "rewards"}},
			Reentry: journey.Reentry{After: 24 * time.Hour},
			Steps: []journey.Step{{Name: "remind", Send: &journey.SendStep{ChannelRef: "hook",
				Template: journey.Template{Body: "points expire soon"}}}}}
		run := func() {
			t.Helper()
			runIdle(t, withHook(t, recv.srv.URL, Options{Playbook: cfg, DB: db, Source: &memSource{feats: customers(6)},
				Clock:          func() time.Time { return now },
				InSegment:      func(f *customer.Features) bool { return f.Monetary <= 4 },
				PointsExpiring: api.fetch}))
		}
		listed := []map[string]any{expiring("cust-0000", 30, d1), expiring("cust-0001", 10, d1),
			expiring("cust-0002", 20, d1), expiring("cust-0005", 50, d1)}
		steps := []struct {
			name    string
			down    bool
			members []map[string]any
			advance time.Duration
			want    map[string][]string
		}{
			{name: "API down: warning, nothing sent", down: true, members: listed, want: map[string][]string{}},
			{name: "API back: one reminder each to consenting segment members", members: listed,
				want: map[string][]string{"cust-0000": {"points expire soon"}, "cust-0001": {"points expire soon"}}},
			{name: "same expiry after the cool-down: nothing new", members: listed, advance: 48 * time.Hour,
				want: map[string][]string{"cust-0000": {"points expire soon"}, "cust-0001": {"points expire soon"}}},
			{name: "cust-0000's next lot: a new expiry date reminds again",
				members: append([]map[string]any{expiring("cust-0000", 12, d2)}, listed[1:]...),
				want: map[string][]string{"cust-0000": {"points expire soon", "points expire soon"},
					"cust-0001": {"points expire soon"}}},
		}
		for _, st := range steps {
			now = now.Add(st.advance)
			api.set(st.down, st.members...)
			run()
			if got := recv.bodies(); !reflect.DeepEqual(got, st.want) {
				t.Fatalf("%s: messages %v, want %v", st.name, got, st.want)
			}
		}
		seen, err := db.LoadJourneySeen(ctx, cfg.Name, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		// cust-0002 was enrolled (its send suppressed for consent), so
		// its expiry is remembered too; cust-0005 never entered.
		want := map[string]journey.Seen{"cust-0000": journey.Seen(d2.Format("2006-01-02")), "cust-0001": journey.Seen(d1.Format("2006-01-02")),
			"cust-0002": journey.Seen(d1.Format("2006-01-02"))}
		if !reflect.DeepEqual(seen, want) {
			t.Errorf("remembered expiries %v, want %v", seen, want)
		}
	})
}

// Validate names the programRef when the worker cannot read the program,
// or when the event type is not one a program supplies.
func TestValidatePointsExpiringWiring(t *testing.T) {
	send := []journey.Step{{Name: "remind", Send: &journey.SendStep{ChannelRef: "hook", Template: journey.Template{Body: "x"}}}}
	feed := func(context.Context) ([]ExpiringPoints, error) { return nil, nil }
	tests := []struct {
		name    string
		typ     string
		feed    ExpiringFunc
		wantErr string
	}{
		{name: "wired", typ: PointsExpiringEvent, feed: feed},
		{name: "no program connection", typ: PointsExpiringEvent,
			wantErr: `trigger.event.programRef: the worker has no connection to loyalty program "rewards"`},
		{name: "other event type", typ: "cart_abandoned", feed: feed,
			wantErr: `trigger.event.programRef: a loyalty program supplies points_expiring events only, not "cart_abandoned"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := journey.Config{Name: "shop/expiry", Namespace: "shop", Steps: send,
				Trigger: journey.Trigger{Event: &journey.EventTrigger{Type: tt.typ, ProgramRef: "rewards"}}}
			_, _, err := Validate(Options{Playbook: cfg, Source: &memSource{}, PointsExpiring: tt.feed,
				Channels:     hookChannels(nil),
				ChannelKinds: hookKinds()})
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// Two shards over one list and one state store: each listed member is
// reminded once, by the shard that owns it (journey.Shard), and each
// shard remembers only its own members' expiries.
func TestPointsExpiringShards(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t, testdb.SQLite(t), store.Open)
	now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	exp := now.Add(3 * 24 * time.Hour)
	api := newExpiringAPI(t)
	var listed []map[string]any
	for _, f := range customers(12) {
		listed = append(listed, expiring(f.ID, 10, exp))
	}
	api.set(false, listed...)
	recv := newReceiver(t, 0)
	cfg := journey.Config{Name: "shop/expiry", Namespace: "shop",
		Trigger: journey.Trigger{Event: &journey.EventTrigger{Type: PointsExpiringEvent, ProgramRef: "rewards"}},
		Steps: []journey.Step{{Name: "remind", Send: &journey.SendStep{ChannelRef: "hook",
			Template: journey.Template{Body: "soon"}}}}}
	for round := 0; round < 2; round++ {
		for shard := 0; shard < 2; shard++ {
			runIdle(t, withHook(t, recv.srv.URL, Options{Playbook: cfg, DB: db, Source: &memSource{feats: customers(12)},
				Clock: func() time.Time { return now }, PointsExpiring: api.fetch, Shard: shard, Shards: 2}))
		}
	}
	want := map[string][]string{}
	for i, f := range customers(12) {
		if i%3 != 2 { // customers(n) withholds webhook consent from every third
			want[f.ID] = []string{"soon"}
		}
	}
	if got := recv.bodies(); !reflect.DeepEqual(got, want) {
		t.Errorf("messages %v, want one per consenting customer: %v", got, want)
	}
	for shard := 0; shard < 2; shard++ {
		seen, err := db.LoadJourneySeen(ctx, cfg.Name, shard, 2)
		if err != nil {
			t.Fatal(err)
		}
		for id := range seen {
			if journey.Shard(id, 2) != shard {
				t.Errorf("shard %d remembered %s, owned by shard %d", shard, id, journey.Shard(id, 2))
			}
		}
		if len(seen) == 0 {
			t.Errorf("shard %d remembered no expiry (12 customers should spread over both shards)", shard)
		}
	}
}
