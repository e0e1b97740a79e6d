package journey

import (
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// abandonedCart is the sample's shape: a cart_updated over 100 enrols, a
// waitFor on order_placed for 2 h, a reminder naming the items on timeout.
func abandonedCart(t *testing.T) *Playbook {
	t.Helper()
	return compile(t, Config{Name: "shop/cart", Trigger: Trigger{Event: &EventTrigger{Type: "cart_updated",
		Where: "event.properties.total > 100.0"}}, Steps: []Step{
		{Name: "wait-for-order", WaitFor: &WaitForStep{Event: "order_placed", Timeout: 2 * time.Hour, Then: "thanks"}},
		sendStep("reminder", "mail", `Still thinking? {{range $i, $it := .event.properties.items}}{{if $i}}, {{end}}{{$it.name}}{{end}} ({{printf "%.2f" .event.properties.total}})`),
		{Name: "done", Exit: &ExitStep{}},
		sendStep("thanks", "mail", "Thanks for your order"),
	}})
}

func cartEvent(at time.Time, total string) customer.Event {
	return customer.Event{CustomerID: "c1", Type: "cart_updated", OccurredAt: at,
		Properties: map[string]string{"total": total, "items": `[{"name":"Blue Mug","qty":1},{"name":"Tea Sampler","qty":2}]`}}
}

func TestWaitForTimesOutToElseWithEventProperties(t *testing.T) {
	p := abandonedCart(t)
	at := utc("2026-05-01T10:00:00Z")
	now := at.Add(time.Minute)
	f := testCustomer("c1", true)
	ev := cartEvent(at, "129.5")
	if ok, err := p.EventFires(ev, f); !ok || err != nil {
		t.Fatalf("cart over 100 does not fire: %v %v", ok, err)
	}
	st := p.Enrol("c1", nil, now)
	st.Event = NewTriggerEvent(ev)
	st, effs := p.Advance(st, Input{Now: now, Customer: f})
	// The wait runs from the cart event, not from the tick that saw it.
	if len(effs) != 0 || !st.Waiting || !st.DueAt.Equal(at.Add(2*time.Hour)) || p.WaitingFor(&st) != "order_placed" {
		t.Fatalf("after enrolment: %+v %+v", st, effs)
	}
	st, effs = p.Advance(st, Input{Now: at.Add(2 * time.Hour), Customer: f})
	if len(effs) != 1 || effs[0].Kind != EffectSend || effs[0].Step != "reminder" {
		t.Fatalf("timeout: %+v", effs)
	}
	if want := "Still thinking? Blue Mug, Tea Sampler (129.50)"; effs[0].Message.Body != want {
		t.Fatalf("body %q, want %q", effs[0].Message.Body, want)
	}
	if st.Status != Exited || st.Sends != 1 {
		t.Fatalf("state %+v", st)
	}
}

func TestWaitForEventInsideTheWaitTakesThen(t *testing.T) {
	p := abandonedCart(t)
	at := utc("2026-05-01T10:00:00Z")
	f := testCustomer("c1", true)
	st := p.Enrol("c1", nil, at)
	st.Event = NewTriggerEvent(cartEvent(at, "129.5"))
	st, _ = p.Advance(st, Input{Now: at, Customer: f})
	order := customer.Event{CustomerID: "c1", Type: "order_placed", OccurredAt: at.Add(90 * time.Minute)}
	for _, miss := range []customer.Event{
		{CustomerID: "c1", Type: "order_placed", OccurredAt: at.Add(-time.Second)},    // before the wait
		{CustomerID: "c1", Type: "order_placed", OccurredAt: at.Add(2*time.Hour + 1)}, // after it
		{CustomerID: "c1", Type: "page_viewed", OccurredAt: at.Add(time.Minute)},      // another type
		{CustomerID: "c2", Type: "order_placed", OccurredAt: at.Add(time.Minute)},     // another customer
	} {
		if c := st; p.EventArrived(&c, miss) {
			t.Fatalf("%+v resolved the wait", miss)
		}
	}
	if !p.EventArrived(&st, order) || st.StepName != "thanks" || st.Waiting || st.DueAt.After(order.OccurredAt) {
		t.Fatalf("order inside the wait: %+v", st)
	}
	st, effs := p.Advance(st, Input{Now: at.Add(91 * time.Minute), Customer: f})
	if len(effs) != 1 || effs[0].Step != "thanks" || st.Status != Completed {
		t.Fatalf("then path: %+v %+v", effs, st)
	}
	if p.EventArrived(&st, order) {
		t.Fatal("a finished journey resolved a wait")
	}
}

func TestEventTriggerWhere(t *testing.T) {
	p := abandonedCart(t)
	f := testCustomer("c1", true)
	at := utc("2026-05-01T10:00:00Z")
	if ok, err := p.EventFires(cartEvent(at, "99.0"), f); ok || err != nil {
		t.Fatalf("cart of 99 fired: %v %v", ok, err)
	}
	noTotal := customer.Event{CustomerID: "c1", Type: "cart_updated", OccurredAt: at}
	if ok, err := p.EventFires(noTotal, f); ok || err == nil || !strings.Contains(err.Error(), "total") {
		t.Fatalf("cart without total: %v %v, want no fire and an error naming the key", ok, err)
	}
	if ok, _ := p.EventFires(customer.Event{CustomerID: "c1", Type: "order_placed", Properties: map[string]string{"total": "500"}}, f); ok {
		t.Fatal("another event type fired")
	}
}

// A missing property fails that customer's render (suppressed, counted as
// templateError), like a missing attribute; index reads an optional one.
func TestEventTemplateMissingProperty(t *testing.T) {
	p := compile(t, Config{Name: "shop/review", Trigger: Trigger{Event: &EventTrigger{Type: "order_delivered"}}, Steps: []Step{
		sendStep("ask", "mail", `How is your {{.event.properties.product}}?{{with index .event.properties "coupon"}} Code {{.}}{{end}}`),
	}})
	at := utc("2026-05-01T10:00:00Z")
	f := testCustomer("c1", true)
	st := p.Enrol("c1", nil, at)
	st.Event = NewTriggerEvent(customer.Event{CustomerID: "c1", Type: "order_delivered", OccurredAt: at,
		Properties: map[string]string{"product": "Blue Mug"}})
	_, effs := p.Advance(st, Input{Now: at, Customer: f})
	if len(effs) != 1 || effs[0].Kind != EffectSend || effs[0].Message.Body != "How is your Blue Mug?" {
		t.Fatalf("with product: %+v", effs)
	}
	st = p.Enrol("c1", nil, at)
	st.Event = NewTriggerEvent(customer.Event{CustomerID: "c1", Type: "order_delivered", OccurredAt: at})
	_, effs = p.Advance(st, Input{Now: at, Customer: f})
	if len(effs) != 1 || effs[0].Kind != EffectSuppress || effs[0].Reason != ReasonTemplate || effs[0].Withheld != WithheldMessage {
		t.Fatalf("without product: %+v", effs)
	}
}

func TestBranchReadsEventProperties(t *testing.T) {
	p := compile(t, Config{Name: "shop/big", Trigger: Trigger{Event: &EventTrigger{Type: "cart_updated"}}, Steps: []Step{
		{Name: "big?", Branch: &BranchStep{If: "event.properties.total > 100.0", Else: "small"}},
		sendStep("big", "mail", "big"),
		{Name: "stop", Exit: &ExitStep{If: `event.type == "cart_updated"`}},
		sendStep("small", "mail", "small"),
	}})
	at := utc("2026-05-01T10:00:00Z")
	for total, want := range map[string]string{"150": "big", "20": "small"} {
		st := p.Enrol("c1", nil, at)
		st.Event = NewTriggerEvent(cartEvent(at, total))
		st, effs := p.Advance(st, Input{Now: at, Customer: testCustomer("c1", true)})
		if len(effs) != 1 || effs[0].Step != want {
			t.Fatalf("total %s: %+v %+v", total, effs, st)
		}
	}
}

func TestWaitForValidation(t *testing.T) {
	_, err := Compile(Config{Name: "x", Trigger: Trigger{Event: &EventTrigger{Type: "cart_updated", Where: "event.properties.total >"}},
		Steps: []Step{
			{Name: "w", WaitFor: &WaitForStep{Event: "", Timeout: 0, Then: "nowhere", Else: "gone"}},
			{Name: "w2", WaitFor: &WaitForStep{Event: "order_placed", Timeout: MaxWaitForTimeout + time.Hour}},
		}}, testChannels)
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	for _, want := range []string{
		"trigger.event.where: invalid CEL",
		"steps[0].waitFor.event: step \"w\": must not be empty",
		"steps[0].waitFor.timeout: step \"w\": must be positive",
		"steps[0].waitFor.then: step \"w\": no step named \"nowhere\"",
		"steps[0].waitFor.else: step \"w\": no step named \"gone\"",
		"steps[1].waitFor.timeout: step \"w2\": must be positive and at most 90d",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
	// Template fields under .event are known; others still are not.
	if _, err := CompileTemplate(`"x"`, Template{Body: "{{.evnt.type}}"}); err == nil || !strings.Contains(err.Error(), "event") {
		t.Fatalf("unknown field: %v, want the known list to name event", err)
	}
	if _, err := CompileTemplate(`"x"`, Template{Body: "{{len .event.properties.items}} {{.event.properties.cart.id}}"}); err != nil {
		t.Fatalf("event shape unknown at compile time: %v", err)
	}
}

// A waitFor loops back through time, never within one tick: a loop through
// it is allowed, and an enrolling event older than the timeout still waits.
func TestWaitForLoopWaits(t *testing.T) {
	p := compile(t, Config{Name: "x", Trigger: Trigger{Event: &EventTrigger{Type: "cart_updated"}}, Steps: []Step{
		{Name: "w", WaitFor: &WaitForStep{Event: "order_placed", Timeout: time.Hour, Then: "stop"}},
		sendStep("nudge", "mail", "nudge"),
		{Name: "again", Branch: &BranchStep{If: "journey.sends < 3", Then: "w"}},
		{Name: "stop", Exit: &ExitStep{}},
	}})
	at := utc("2026-05-01T10:00:00Z")
	now := at.Add(5 * time.Hour)
	st := p.Enrol("c1", nil, now)
	st.Event = NewTriggerEvent(cartEvent(at, "1"))
	st, effs := p.Advance(st, Input{Now: now, Customer: testCustomer("c1", true)})
	if len(effs) != 0 || !st.DueAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("stale event: %+v %+v", effs, st)
	}
}

func TestTriggerEventPropertiesCapped(t *testing.T) {
	props := map[string]string{"small": "1", "big": strings.Repeat("x", MaxEventPropertiesBytes), "mid": strings.Repeat("y", 100)}
	e := NewTriggerEvent(customer.Event{Type: "t", Properties: props})
	if _, ok := e.Properties["big"]; ok || e.Properties["small"] != "1" || len(e.Properties["mid"]) != 100 {
		t.Fatalf("capped properties: keys %v", len(e.Properties))
	}
	if len(EncodeTriggerEvent(e)) > MaxEventPropertiesBytes+200 {
		t.Fatalf("encoded %d bytes", len(EncodeTriggerEvent(e)))
	}
	back := DecodeTriggerEvent(EncodeTriggerEvent(e))
	if back == nil || back.Type != "t" || back.Properties["small"] != "1" || DecodeTriggerEvent("") != nil || DecodeTriggerEvent("{") != nil {
		t.Fatalf("round trip: %+v", back)
	}
	vals := (&TriggerEvent{Properties: map[string]string{"n": "12.5", "s": "hello", "q": `"quoted"`, "l": `[1,2]`, "b": "true"}}).PropertyValues()
	if vals["n"] != 12.5 || vals["s"] != "hello" || vals["q"] != `"quoted"` || len(vals["l"].([]any)) != 2 || vals["b"] != true {
		t.Fatalf("values %v", vals)
	}
}
