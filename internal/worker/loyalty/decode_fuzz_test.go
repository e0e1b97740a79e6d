package loyalty

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzDecodeBody: the request decoder never panics, refuses with a 4xx that
// names a field, and accepts only one valid JSON object whose names are
// exactly the route's, with the values encoding/json would read.
func FuzzDecodeBody(f *testing.F) {
	for _, seed := range []string{
		`{"points": 5, "reason": "goodwill"}`, `{"reward":"five-off"}}garbage`, `{"reward":"a"}{"reward":"b"}`,
		`{"Points": 1}`, `{"points": 9223372036854775808}`, `{"points": -9223372036854775808, "reason": "x"}`,
		`{"reason": "\u00e9\ud800"}`, `[]`, `null`, ` {"points": 1e2} `, `{"points": 1, "points": 2}`, "{\"reason\":\"x\"}\x00",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var points int64
		var reason string
		e := decodeBody(bytes.NewReader(body), maxBodyBytes, bodyFields{"points": &points, "reason": &reason})
		if e != nil {
			if e.code != 400 && e.code != 413 || e.field == "" || e.msg == "" {
				t.Fatalf("refusal %+v: want 400/413 with a field and a message", e)
			}
			return
		}
		if !json.Valid(body) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
			t.Fatalf("accepted %q, which is not one JSON object: %v", body, err)
		}
		for name := range obj {
			if name != "points" && name != "reason" {
				t.Fatalf("accepted %q with field %q", body, name)
			}
		}
		var want struct {
			Points int64  `json:"points"`
			Reason string `json:"reason"`
		}
		if err := json.Unmarshal(body, &want); err != nil {
			t.Fatalf("accepted %q, which encoding/json refuses: %v", body, err)
		}
		if want.Points != points || want.Reason != reason {
			t.Fatalf("%q decoded to %d %q, encoding/json reads %d %q", body, points, reason, want.Points, want.Reason)
		}
	})
}
