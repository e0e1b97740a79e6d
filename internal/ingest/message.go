package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/retention-dev/retention-operator/internal/store"
)

// wireMessage is one message of the Segment spec as sent: the common fields
// and each type's own. Fields this API does not keep (integrations, ...) are
// ignored, as the spec allows.
type wireMessage struct {
	Type        string          `json:"type"`
	MessageID   string          `json:"messageId"`
	UserID      string          `json:"userId"`
	AnonymousID string          `json:"anonymousId"`
	Event       string          `json:"event"`
	Name        string          `json:"name"`
	PreviousID  string          `json:"previousId"`
	GroupID     string          `json:"groupId"`
	Properties  json.RawMessage `json:"properties"`
	Traits      json.RawMessage `json:"traits"`
	Context     json.RawMessage `json:"context"`
	Timestamp   string          `json:"timestamp"`
	SentAt      string          `json:"sentAt"`
}

// wireBatch is the body of /v1/batch. A top-level sentAt applies to every
// message that has none (the libraries set it once per batch).
type wireBatch struct {
	Batch  []json.RawMessage `json:"batch"`
	SentAt string            `json:"sentAt"`
}

// messageTypes are the types the API accepts, as sent in a batch's "type".
var messageTypes = map[string]bool{"track": true, "identify": true, "page": true, "screen": true, "group": true, "alias": true}

// parsed is one request's messages ready to store.
type parsed struct {
	events []store.IngestedEvent
	traits []store.TraitUpdate
}

// decodeJSON decodes one JSON object, naming the field of a wrong type.
func decodeJSON(raw []byte, into any) *RequestError {
	if err := json.Unmarshal(raw, into); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return badField(te.Field, "want a %s, got a JSON %s", jsonKind(te.Type.Kind().String()), te.Value)
		case errors.As(err, &te):
			return badField("", "want a JSON object, got a JSON %s", te.Value)
		case errors.As(err, &se):
			return badField("", "malformed JSON at byte %d: %v", se.Offset, err)
		default:
			return badField("", "malformed JSON: %v", err)
		}
	}
	return nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "slice":
		return "array"
	case "map", "struct":
		return "object"
	default:
		return goKind
	}
}

// parseCall reads the body of /v1/<typ> (one message).
func parseCall(typ string, body []byte, receivedAt time.Time) (*parsed, *RequestError) {
	p := &parsed{}
	if err := p.add(typ, body, nil, receivedAt); err != nil {
		return nil, err
	}
	return p, nil
}

// parseBatch reads the body of /v1/batch. Either every message is valid and
// all are returned, or the first problem is: a batch is stored whole or not
// at all, so a sender fixing one message never duplicates the others.
func parseBatch(body []byte, receivedAt time.Time) (*parsed, *RequestError) {
	var b wireBatch
	if err := decodeJSON(body, &b); err != nil {
		return nil, err
	}
	if b.Batch == nil {
		return nil, badField("batch", "required: an array of messages, each with a type (track, identify, page, screen, group or alias)")
	}
	sentAt, rerr := parseTime("sentAt", b.SentAt)
	if rerr != nil {
		return nil, rerr
	}
	p := &parsed{events: make([]store.IngestedEvent, 0, len(b.Batch))}
	for i, raw := range b.Batch {
		prefix := fmt.Sprintf("batch[%d]", i)
		if len(raw) > MaxMessageBytes {
			return nil, &RequestError{Status: 413, Field: prefix,
				Problem: fmt.Sprintf("message is %d bytes, over the spec's %d bytes per message; send less in properties or traits", len(raw), MaxMessageBytes)}
		}
		if err := p.add("", raw, sentAt, receivedAt); err != nil {
			return nil, err.Prefixed(prefix)
		}
	}
	return p, nil
}

// add validates one message of type typ ("": its own type field, as in a
// batch) and appends what it stores.
func (p *parsed) add(typ string, raw []byte, batchSentAt *time.Time, receivedAt time.Time) *RequestError {
	var m wireMessage
	if err := decodeJSON(raw, &m); err != nil {
		return err
	}
	if typ == "" {
		if !messageTypes[m.Type] {
			return badField("type", "want track, identify, page, screen, group or alias")
		}
		typ = m.Type
	}
	if m.UserID == "" && m.AnonymousID == "" {
		return badField("userId", "a userId or an anonymousId is required")
	}
	for _, f := range []struct{ name, v string }{{"userId", m.UserID}, {"anonymousId", m.AnonymousID},
		{"messageId", m.MessageID}, {"previousId", m.PreviousID}, {"groupId", m.GroupID}} {
		if err := checkText(f.name, f.v, maxIDLen); err != nil {
			return err
		}
	}
	ev := store.IngestedEvent{Type: typ, UserID: m.UserID, AnonymousID: m.AnonymousID, ReceivedAt: receivedAt}
	switch typ {
	case "track":
		if m.Event == "" {
			return badField("event", "required: the name of the event, such as order_placed")
		}
		ev.Name, ev.Properties = m.Event, m.Properties
	case "page", "screen":
		ev.Name, ev.Properties = m.Name, m.Properties
	case "identify":
		ev.Properties = m.Traits
	case "group":
		if m.GroupID == "" {
			return badField("groupId", "required in a group call")
		}
		ev.Name, ev.Properties = m.GroupID, m.Traits
	case "alias":
		if m.UserID == "" || m.PreviousID == "" {
			return badField("previousId", "an alias call needs both previousId and userId")
		}
		ev.Name = m.PreviousID
	}
	// Group and alias names are ids, checked above; this bounds the track
	// event and the page/screen name.
	nameField := "name"
	if typ == "track" {
		nameField = "event"
	}
	if err := checkText(nameField, ev.Name, maxNameLen); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    json.RawMessage
	}{{"properties", m.Properties}, {"traits", m.Traits}, {"context", m.Context}} {
		if !isObject(f.v) {
			return badField(f.name, "want a JSON object")
		}
	}
	ev.Context = m.Context
	ts, rerr := parseTime("timestamp", m.Timestamp)
	if rerr != nil {
		return rerr
	}
	sentAt, rerr := parseTime("sentAt", m.SentAt)
	if rerr != nil {
		return rerr
	}
	if sentAt == nil {
		sentAt = batchSentAt
	}
	ev.OccurredAt = eventTime(ts, sentAt, receivedAt).UTC()
	ev.MessageID = m.MessageID
	if ev.MessageID == "" {
		// The spec has the API assign a messageId when the sender gave none;
		// deriving it from the message makes a resend of the same bytes
		// de-duplicate too.
		sum := sha256.Sum256(raw)
		ev.MessageID = "derived-" + hex.EncodeToString(sum[:16])
	}
	if typ == "identify" {
		u, err := traitUpdate(&m, ev.CustomerID(), ev.OccurredAt)
		if err != nil {
			return err
		}
		p.traits = append(p.traits, *u)
	}
	p.events = append(p.events, ev)
	return nil
}

func checkText(field, v string, max int) *RequestError {
	if len(v) > max {
		return badField(field, "longer than %d bytes", max)
	}
	if !utf8.ValidString(v) {
		return badField(field, "not valid UTF-8")
	}
	return nil
}

// isObject reports whether raw is absent, null or a JSON object.
func isObject(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null" || t[0] == '{'
}
