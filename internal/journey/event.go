package journey

import (
	"encoding/json"
	"sort"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/segment"
)

// MaxEventPropertiesBytes caps the JSON size of the triggering event's
// properties kept with a journey. The state store holds them for the whole
// journey (days, for a wait), once per customer and playbook, so one sender
// posting megabytes of properties must not grow every journey row with it.
// Over the cap, the largest values are dropped until the rest fits (a
// template that reads a dropped key then fails for that customer and the
// send is counted as suppressed: templateError).
const MaxEventPropertiesBytes = 16 << 10

// TriggerEvent is the event that enrolled a journey, as kept in the state
// store. Properties are the event's top-level properties as the data source
// and the ingestion API deliver them (customer.Event): strings as they are,
// other JSON values as JSON text.
type TriggerEvent struct {
	Type       string            `json:"type"`
	OccurredAt time.Time         `json:"occurredAt"`
	Properties map[string]string `json:"properties,omitempty"`
}

// NewTriggerEvent keeps ev for a journey, its properties cut to
// MaxEventPropertiesBytes.
func NewTriggerEvent(ev customer.Event) *TriggerEvent {
	props := make(map[string]string, len(ev.Properties))
	for k, v := range ev.Properties {
		props[k] = v
	}
	capProperties(props)
	if len(props) == 0 {
		props = nil
	}
	return &TriggerEvent{Type: ev.Type, OccurredAt: ev.OccurredAt.UTC(), Properties: props}
}

// capProperties drops the largest values (ties: the greatest key) until the
// JSON encoding fits MaxEventPropertiesBytes; deterministic, so every
// replica keeps the same keys.
func capProperties(props map[string]string) {
	size := encodedSize(props)
	if size <= MaxEventPropertiesBytes {
		return
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := len(keys[i])+len(props[keys[i]]), len(keys[j])+len(props[keys[j]])
		if a != b {
			return a > b
		}
		return keys[i] > keys[j]
	})
	for _, k := range keys {
		if size <= MaxEventPropertiesBytes {
			return
		}
		delete(props, k)
		size = encodedSize(props)
	}
}

func encodedSize(props map[string]string) int {
	b, _ := json.Marshal(props) // a map of strings always encodes
	return len(b)
}

// EncodeTriggerEvent is the store's text for e ("" for nil).
func EncodeTriggerEvent(e *TriggerEvent) string {
	if e == nil {
		return ""
	}
	b, _ := json.Marshal(e) // strings and a time always encode
	return string(b)
}

// DecodeTriggerEvent reads EncodeTriggerEvent's text; "" and unreadable
// text (a hand-edited row) read as no event.
func DecodeTriggerEvent(s string) *TriggerEvent {
	if s == "" {
		return nil
	}
	var e TriggerEvent
	if json.Unmarshal([]byte(s), &e) != nil {
		return nil
	}
	return &e
}

// PropertyValues turns the kept properties into the values templates and
// CEL see: a value that is JSON text of a number, boolean, null, list or
// object is decoded (so event.properties.total > 100.0 compares numbers and
// {{range .event.properties.items}} walks a list); anything else, strings
// included, stays a string.
func (e *TriggerEvent) PropertyValues() map[string]any {
	out := map[string]any{}
	if e == nil {
		return out
	}
	for k, v := range e.Properties {
		out[k] = propertyValue(v)
	}
	return out
}

func propertyValue(s string) any {
	var v any
	if s == "" || json.Unmarshal([]byte(s), &v) != nil {
		return s
	}
	if _, isString := v.(string); isString {
		return s // JSON text of a string: the quotes were part of the value
	}
	return v
}

// eventVars is what templates see as .event: {type, occurredAt,
// properties}; a journey without a triggering event has an empty type and
// no properties.
func eventVars(e *TriggerEvent) map[string]any {
	vars := map[string]any{"type": "", "occurredAt": time.Time{}, "properties": e.PropertyValues()}
	if e != nil {
		vars["type"], vars["occurredAt"] = e.Type, e.OccurredAt
	}
	return vars
}

// celEvent is what CEL conditions see as event.
func celEvent(e *TriggerEvent) *segment.Event {
	if e == nil {
		return &segment.Event{Properties: map[string]any{}}
	}
	return &segment.Event{Type: e.Type, Properties: e.PropertyValues()}
}
