package feedback

import (
	"errors"
	"strings"
	"testing"
)

// checkParsed holds every parser to the same contract on any input: either
// a *RequestError with a 4xx status, or events within the bounds, each with
// a known kind, never both.
func checkParsed(t *testing.T, evs []Event, ignored int, err error) {
	t.Helper()
	if err != nil {
		var re *RequestError
		if !errors.As(err, &re) || re.Status < 400 || re.Status > 499 {
			t.Fatalf("error %v is not a 4xx RequestError", err)
		}
		if len(evs) != 0 {
			t.Fatalf("events returned with an error: %v", evs)
		}
		return
	}
	if len(evs)+ignored > MaxEvents {
		t.Fatalf("%d events, over MaxEvents", len(evs)+ignored)
	}
	for _, e := range evs {
		if e.Address == "" || len(e.Address) > maxAddressLen || e.EventID == "" || len(e.EventID) > maxEventIDLen ||
			strings.TrimSpace(e.Address) != e.Address {
			t.Fatalf("event out of bounds: %+v", e)
		}
		switch e.Kind {
		case "hard-bounce", "soft-bounce", "complaint":
		default:
			t.Fatalf("unknown kind %q", e.Kind)
		}
	}
}

func FuzzParseSendGrid(f *testing.F) {
	f.Add([]byte(`[{"email":"a@example.com","timestamp":1513299569,"event":"bounce","type":"bounce","sg_event_id":"x"}]`))
	f.Add([]byte(`[{"email":"a@example.com","event":"bounce","type":"blocked","sg_event_id":"y"},{"event":"spamreport","email":"b@x","sg_event_id":"z"}]`))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]`))
	f.Add([]byte(`[{"email":1}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, ignored, err := parseSendGrid(body)
		checkParsed(t, evs, ignored, err)
	})
}

func FuzzParseMailgun(f *testing.F) {
	f.Add([]byte(`{"signature":{"timestamp":"1529006854","token":"t","signature":"ab"},"event-data":{"event":"failed","severity":"permanent","recipient":"a@example.com","timestamp":1529006854.329574,"id":"x"}}`))
	f.Add([]byte(`{"event-data":{"event":"complained","recipient":"a@example.com","timestamp":1e300,"id":"x"}}`))
	f.Add([]byte(`{"event-data":{"event":"failed","severity":"other"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := decodeMailgun(body)
		if err != nil {
			checkParsed(t, nil, 0, err)
			return
		}
		evs, ignored, err := mailgunEvents(p)
		checkParsed(t, evs, ignored, err)
	})
}

func FuzzParsePostmark(f *testing.F) {
	f.Add([]byte(`{"RecordType":"Bounce","ID":4323372036854775807,"Type":"HardBounce","TypeCode":1,"Email":"a@example.com","BouncedAt":"2019-11-05T16:33:54.9070259Z"}`))
	f.Add([]byte(`{"RecordType":"SpamComplaint","ID":42,"Type":"SpamComplaint","Email":"a@example.com","BouncedAt":"2019-11-05T16:33:54Z"}`))
	f.Add([]byte(`{"RecordType":"Bounce","ID":"x","BouncedAt":"yesterday"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, ignored, err := parsePostmark(body)
		checkParsed(t, evs, ignored, err)
	})
}
