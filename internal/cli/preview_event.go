package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/journey"
)

// previewEvent turns --event (a JSON object of the triggering event's
// properties, as a track call's "properties") into the event the preview's
// messages are rendered with; nil without the flag. Values are kept as the
// ingestion API stores them (strings as they are, anything else as JSON),
// so a preview renders exactly what a worker would.
func previewEvent(raw, eventType string) (*journey.TriggerEvent, error) {
	if raw == "" {
		return nil, nil
	}
	if len(raw) > journey.MaxEventPropertiesBytes {
		return nil, fmt.Errorf("--event: %d bytes, over the %d a journey keeps", len(raw), journey.MaxEventPropertiesBytes)
	}
	var obj map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, fmt.Errorf(`--event: want a JSON object of the event's properties, e.g. '{"items":[{"name":"Mug"}]}': %v`, err)
	}
	props := make(map[string]string, len(obj))
	for k, v := range obj {
		var s string
		if json.Unmarshal(v, &s) == nil {
			props[k] = s
		} else {
			props[k] = string(v)
		}
	}
	return journey.NewTriggerEvent(customer.Event{Type: eventType, Properties: props}), nil
}

// readsEvent reports whether a template reads the triggering event, so a
// render error without --event can say how to supply it.
func readsEvent(t journey.Template) bool {
	return strings.Contains(t.Subject+t.Body+t.HTML, ".event.")
}
