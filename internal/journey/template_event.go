package journey

import (
	"encoding/json"
	"strings"
	"time"
)

// EventField is the template name of the journey's triggering event:
// {{.event.type}}, {{.event.occurredAt}}, {{.event.properties.NAME}}.
//
// A property the event does not carry fails the render like a missing
// attribute (missingkey=error): that customer's send is suppressed and
// counted as templateError; nothing crashes and nothing is sent half-filled.
// An optional property is read with index, which yields no value instead:
// {{with index .event.properties "coupon"}}Code: {{.}}{{end}}.
const EventField = "event"

// eventPropertyPrefix marks the {{.event.properties.a.b}} paths the static
// walk records in known (as "event.properties.a.b"), for the trial render.
const eventPropertyPrefix = EventField + ".properties."

// eventRefs records {{.event.properties.NAME...}} references so the trial
// render can supply them.
func eventRefs(known map[string]bool, ident []string) {
	if len(ident) > 2 && ident[0] == EventField && ident[1] == "properties" {
		known[eventPropertyPrefix+strings.Join(ident[2:], ".")] = true
	}
}

// trialEvent is the event of the compile-time trial render: every property
// path the template names, as nested objects with null leaves (nil when the
// template reads no properties).
func trialEvent(known map[string]bool) *TriggerEvent {
	root := map[string]any{}
	for k := range known {
		path, ok := strings.CutPrefix(k, eventPropertyPrefix)
		if !ok {
			continue
		}
		m := root
		parts := strings.Split(path, ".")
		for i, part := range parts {
			if i == len(parts)-1 {
				if _, set := m[part]; !set {
					m[part] = nil
				}
				break
			}
			child, isMap := m[part].(map[string]any)
			if !isMap {
				child = map[string]any{}
				m[part] = child
			}
			m = child
		}
	}
	if len(root) == 0 {
		return nil
	}
	ev := &TriggerEvent{Type: "trial", OccurredAt: time.Unix(0, 0).UTC(), Properties: map[string]string{}}
	for k, v := range root {
		b, _ := json.Marshal(v) // nested maps of nil always encode
		ev.Properties[k] = string(b)
	}
	return ev
}

// eventShapeError reports whether a trial render error may come from the
// shape of event properties, which is the sender's and unknown until a real
// event arrives ({{len .event.properties.items}} over the trial's null). Such
// a template is accepted; a real render that fails is suppressed for that
// customer as templateError, within the same limits.
func eventShapeError(err error, known map[string]bool) bool {
	reads := false
	for k := range known {
		if strings.HasPrefix(k, eventPropertyPrefix) {
			reads = true
			break
		}
	}
	return reads && strings.Contains(err.Error(), EventField)
}
