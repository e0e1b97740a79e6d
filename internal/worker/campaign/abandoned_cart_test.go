package campaign

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/ingest"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/specmap"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// cartWorker is a shard worker of cfg whose every customer is a segment
// member: mem's customers, with the orders ingested for source, mailed by
// webhook to the receiver it returns; poll runs one round of it.
func cartWorker(t *testing.T, cfg journey.Config, db *store.DB, mem *memSource, source string, clock *stepClock) (*worker, *receiver, func()) {
	t.Helper()
	recv := newReceiver(t, 0)
	w := newShardWorker(t, Options{Playbook: cfg, DB: db, Source: ingestedOrders{memSource: mem, db: db, source: source},
		Clock: clock.Now, Logger: quiet, InSegment: everyone,
		Channels:     map[string]channel.Sender{"email": webhookSender(t, recv.srv.URL)},
		ChannelKinds: map[string]journey.ChannelKind{"email": journey.KindWebhook}})
	poll := func() {
		t.Helper()
		if _, err := w.round(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return w, recv, poll
}

// ingestedOrders is what the worker command's ingestedSource is: the data
// source's rows (features, orders) plus the track events the ingestion API
// stored in the state store, read with store.ScanIngestedEvents.
type ingestedOrders struct {
	*memSource
	db     *store.DB
	source string
}

func (s ingestedOrders) ScanEvents(ctx context.Context, since time.Time, fn func(*customer.Event) error) error {
	if err := s.memSource.ScanEvents(ctx, since, fn); err != nil {
		return err
	}
	return s.db.ScanIngestedEvents(ctx, s.source, since, fn)
}

// samplePlaybook maps the named Playbook of a config/samples file the way
// the controller and the worker do (specmap.Playbook).
func samplePlaybook(t *testing.T, file, name string) journey.Config {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "config", "samples", file))
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range strings.Split(string(raw), "\n---\n") {
		var pb v1alpha1.Playbook
		if err := yaml.Unmarshal([]byte(doc), &pb); err != nil {
			t.Fatal(err)
		}
		if pb.Kind == "Playbook" && pb.Name == name {
			cfg, err := specmap.Playbook(pb.Namespace, pb.Name, &pb.Spec)
			if err != nil {
				t.Fatal(err)
			}
			return cfg
		}
	}
	t.Fatalf("no Playbook %s in %s", name, file)
	return journey.Config{}
}

// The abandoned-cart sample, run by the real worker over a real PostgreSQL
// state store, with cart events posted to the real ingestion API and
// messages delivered to a real webhook receiver: a cart_updated with items
// and no order within the 2 h wait sends exactly one reminder naming the
// items; a cart followed by an order inside the wait (an ingested
// order_placed for one customer, a row of the orders table for another)
// sends nothing and counts a conversion; a cart with no items enrols
// nobody (the trigger's where).
func TestAbandonedCartSample(t *testing.T) {
	db := testdb.Open(t, testdb.Postgres(t), store.Open)
	ctx := context.Background()
	start := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	clock := &stepClock{now: start}
	const source = "shop/shop"

	keyFile := filepath.Join(t.TempDir(), "writeKey")
	if err := os.WriteFile(keyFile, []byte("wk_cart"), 0o600); err != nil {
		t.Fatal(err)
	}
	api, err := ingest.NewServer(ctx, ingest.Options{DB: db, Source: source, WriteKeyFile: keyFile, Clock: clock.Now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	apiSrv := httptest.NewServer(api.Handler())
	t.Cleanup(apiSrv.Close)
	track := func(id, user, event, props string) {
		t.Helper()
		body := fmt.Sprintf(`{"messageId":%q,"userId":%q,"event":%q,"properties":%s}`, id, user, event, props)
		req, _ := http.NewRequest(http.MethodPost, apiSrv.URL+"/v1/track", bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("wk_cart:")))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("track %s answered %d", id, resp.StatusCode)
		}
	}

	cfg := samplePlaybook(t, "56-playbooks-events.yaml", "abandoned-cart")
	// Four treatment customers (the sample holds 10% out: pick ids outside it).
	var ids []string
	for i := 0; len(ids) < 4; i++ {
		if id := fmt.Sprintf("cust-%04d", i); !journey.InHoldout(cfg.Name, id, cfg.HoldoutPercent) {
			ids = append(ids, id)
		}
	}
	abandons, ordersByTrack, ordersByRow, emptyCart := ids[0], ids[1], ids[2], ids[3]
	feats := customers(4)
	for i := range feats {
		feats[i].ID = ids[i]
		feats[i].Attributes = map[string]string{journey.ConsentWebhookAttribute: "true"}
	}
	mem := &memSource{feats: feats}
	w, recv, poll := cartWorker(t, cfg, db, mem, source, clock)

	items := `{"total":54.5,"items":[{"name":"Blue Mug","qty":1},{"name":"Tea Sampler","qty":2}]}`
	track("c1", abandons, "cart_updated", items)
	track("c2", ordersByTrack, "cart_updated", items)
	track("c3", ordersByRow, "cart_updated", items)
	track("c4", emptyCart, "cart_updated", `{"total":0,"items":[]}`)
	clock.advance(time.Minute)
	poll() // enrols three; each waits for order_placed until cart time + 2h
	if got := recv.messages(); len(got) != 0 {
		t.Fatalf("sent at once: %+v", got)
	}

	clock.advance(30 * time.Minute)
	track("o2", ordersByTrack, "order_placed", `{"orderId":"A-17","total":54.5}`)
	mem.mu.Lock()
	mem.orders = append(mem.orders, customer.Order{CustomerID: ordersByRow, OrderID: "A-18", Amount: 54.5, OccurredAt: clock.Now()})
	mem.mu.Unlock()
	clock.advance(time.Minute)
	poll()

	for i := 0; i < 12; i++ { // 15-minute polls to cart time + 3h 32m: past the wait
		clock.advance(15 * time.Minute)
		poll()
	}
	got := recv.messages()
	if len(got) != 1 {
		t.Fatalf("%d messages, want exactly 1 reminder: %+v", len(got), got)
	}
	m := got[0]
	if m.to != abandons || m.subject != "You left something in your cart" ||
		m.body != "Still thinking it over? Your cart holds Blue Mug, Tea Sampler. It is saved for you." {
		t.Fatalf("reminder %+v, want one to %s naming Blue Mug and Tea Sampler", m, abandons)
	}

	s, err := w.Summarize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("summary: enrolled %d, messages %d (sent %d), conversions %+v", s.Enrolled, s.Messages, s.Sent, s.Conversions)
	if s.Enrolled != 3 || s.Conversions.Treatment != 2 || s.Conversions.TreatmentJourneys != 3 || s.Conversions.Holdout != 0 {
		t.Fatalf("enrolled %d, conversions %+v; want 3 enrolled (not the empty cart) and 2 of 3 converted", s.Enrolled, s.Conversions)
	}
	var suppressed int64
	for _, n := range s.Suppressed {
		suppressed += n
	}
	if s.Messages != 1 || s.Sent != 1 || s.Messages != s.Sent+s.Failed+s.Pending+s.DryRunCount+suppressed {
		t.Fatalf("messages %d = sent %d + failed %d + pending %d + dry-run %d + suppressed %v; want 1 sent, adding up",
			s.Messages, s.Sent, s.Failed, s.Pending, s.DryRunCount, s.Suppressed)
	}
	if s.Active != 0 || s.Exited != 3 {
		t.Fatalf("journeys active %d exited %d, want all 3 exited", s.Active, s.Exited)
	}
	// The triggering event survives restarts: it is in the store, not the pod.
	states, err := db.LoadJourneyStates(ctx, cfg.Name, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if e := states[abandons].Event; e == nil || e.Type != "cart_updated" || !strings.Contains(e.Properties["items"], "Tea Sampler") {
		t.Fatalf("stored triggering event %+v", e)
	}
}

// Without a goal, only the waitFor step decides: an order_placed inside the
// wait, as an ingested track event or as a row of the orders table, takes
// the step's then path (a thank-you here); a late one does not, and the
// timeout's else path (the reminder) is taken instead.
func TestWaitForThenPathSeesTrackEventsAndOrderRows(t *testing.T) {
	db := testdb.Open(t, testdb.Postgres(t), store.Open)
	ctx := context.Background()
	start := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	clock := &stepClock{now: start}
	cfg := samplePlaybook(t, "56-playbooks-events.yaml", "abandoned-cart")
	cfg.Name, cfg.Goal, cfg.HoldoutPercent = "shop/cart-then", nil, 0
	cfg.Steps[0].WaitFor.Then = "thanks"
	cfg.Steps = append(cfg.Steps, journey.Step{Name: "thanks", Send: &journey.SendStep{ChannelRef: "email",
		Template: journey.Template{Subject: "Thanks", Body: "Thanks for ordering {{len .event.properties.items}} items"}}})
	feats := customers(3)
	for i := range feats {
		feats[i].Attributes = map[string]string{journey.ConsentWebhookAttribute: "true"}
	}
	// The carts are rows of the data source's events table this time.
	var events []customer.Event
	for _, f := range feats {
		events = append(events, customer.Event{CustomerID: f.ID, Type: "cart_updated", OccurredAt: start,
			Properties: map[string]string{"items": `[{"name":"Blue Mug"},{"name":"Tea Sampler"}]`}})
	}
	mem := &memSource{feats: feats, events: events}
	if err := db.MigrateIngest(ctx); err != nil {
		t.Fatal(err)
	}
	_, recv, poll := cartWorker(t, cfg, db, mem, "shop/shop", clock)
	clock.advance(time.Minute)
	poll()
	// cust-0000 orders through the ingestion API's store, cust-0001 in the
	// orders table, both inside the wait; cust-0002 orders 3 h later.
	if _, err := db.StoreIngested(ctx, "shop/shop", []store.IngestedEvent{{MessageID: "o0", Type: "track", Name: "order_placed",
		UserID: "cust-0000", OccurredAt: start.Add(time.Hour), ReceivedAt: start.Add(time.Hour),
		Properties: json.RawMessage(`{}`), Context: json.RawMessage(`{}`)}}, nil); err != nil {
		t.Fatal(err)
	}
	mem.mu.Lock()
	mem.orders = append(mem.orders,
		customer.Order{CustomerID: "cust-0001", OrderID: "A", Amount: 5, OccurredAt: start.Add(90 * time.Minute)},
		customer.Order{CustomerID: "cust-0002", OrderID: "B", Amount: 5, OccurredAt: start.Add(3 * time.Hour)})
	mem.mu.Unlock()
	for i := 0; i < 16; i++ { // to start + 4h 1m
		clock.advance(15 * time.Minute)
		poll()
	}
	byTo := map[string][]string{}
	for _, m := range recv.messages() {
		byTo[m.to] = append(byTo[m.to], m.subject+": "+m.body)
	}
	want := map[string][]string{
		"cust-0000": {"Thanks: Thanks for ordering 2 items"},
		"cust-0001": {"Thanks: Thanks for ordering 2 items"},
		"cust-0002": {"You left something in your cart: Still thinking it over? Your cart holds Blue Mug, Tea Sampler. It is saved for you."},
	}
	for id, msgs := range want {
		if len(byTo[id]) != 1 || byTo[id][0] != msgs[0] {
			t.Errorf("%s received %q, want %q", id, byTo[id], msgs)
		}
	}
	if len(byTo) != 3 {
		t.Errorf("messages to %d customers, want 3: %v", len(byTo), byTo)
	}
}

// The review-request sample: two days after order_delivered the customer is
// asked about the product the event named; one who reviews inside the
// five-day waitFor converts and hears nothing more, one who does not gets
// the one reminder, and an event without a product reads "order".
func TestReviewRequestSample(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		start := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
		clock := &stepClock{now: start}
		cfg := samplePlaybook(t, "56-playbooks-events.yaml", "review-request")
		var ids []string
		for i := 0; len(ids) < 3; i++ {
			if id := fmt.Sprintf("cust-%04d", i); !journey.InHoldout(cfg.Name, id, cfg.HoldoutPercent) {
				ids = append(ids, id)
			}
		}
		reviews, silent, noProduct := ids[0], ids[1], ids[2]
		feats := customers(3)
		for i := range feats {
			feats[i].ID = ids[i]
			feats[i].Attributes = map[string]string{journey.ConsentWebhookAttribute: "true"}
		}
		mem := &memSource{feats: feats, events: []customer.Event{
			{CustomerID: reviews, Type: "order_delivered", OccurredAt: start, Properties: map[string]string{"product": "Blue Mug"}},
			{CustomerID: silent, Type: "order_delivered", OccurredAt: start, Properties: map[string]string{"product": "Tea Sampler"}},
			{CustomerID: noProduct, Type: "order_delivered", OccurredAt: start},
		}}
		recv := newReceiver(t, 0)
		w := newShardWorker(t, Options{Playbook: cfg, DB: db, Source: mem, Clock: clock.Now, Logger: quiet,
			InSegment:    everyone,
			Channels:     map[string]channel.Sender{"email": webhookSender(t, recv.srv.URL)},
			ChannelKinds: map[string]journey.ChannelKind{"email": journey.KindWebhook}})
		for h := 0; h < 8*24; h += 6 { // 6-hourly polls for eight days
			if h == 3*24 {
				mem.mu.Lock()
				mem.events = append(mem.events, customer.Event{CustomerID: reviews, Type: "review_submitted", OccurredAt: clock.Now()})
				mem.mu.Unlock()
			}
			clock.advance(6 * time.Hour)
			if _, err := w.round(ctx); err != nil {
				t.Fatal(err)
			}
		}
		byTo := map[string][]string{}
		for _, m := range recv.messages() {
			byTo[m.to] = append(byTo[m.to], m.subject)
		}
		want := map[string][]string{
			reviews:   {"How do you like your Blue Mug?"},
			silent:    {"How do you like your Tea Sampler?", "A minute for a review?"},
			noProduct: {"How do you like your order?", "A minute for a review?"},
		}
		for id, subjects := range want {
			if !slices.Equal(byTo[id], subjects) {
				t.Errorf("%s received %q, want %q", id, byTo[id], subjects)
			}
		}
		s, err := w.Summarize(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s.Conversions.Treatment != 1 || s.Sent != 5 || s.Messages != 5 {
			t.Fatalf("conversions %+v, sent %d of %d messages; want 1 conversion and 5 sent", s.Conversions, s.Sent, s.Messages)
		}
	})
}
