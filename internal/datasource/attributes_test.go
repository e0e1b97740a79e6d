package datasource

import (
	"maps"
	"strings"
	"testing"
)

func TestParseAttributes(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]string
		wantErr string
	}{
		{``, map[string]string{}, ""},
		{`{}`, map[string]string{}, ""},
		{` { "plan" : "gold", "country":"DE" } `, map[string]string{"plan": "gold", "country": "DE"}, ""},
		{`{"note":"say \"hi\""}`, map[string]string{"note": `say "hi"`}, ""},
		{`{"visits":3,"vip":true,"tags":["a"],"gone":null}`, map[string]string{"visits": "3", "vip": "true", "tags": `["a"]`}, ""},
		{`{"a":"1",}`, nil, "not a JSON object"},
		{`["a"]`, nil, "not a JSON object"},
	}
	for _, tt := range tests {
		for _, in := range []interner{nil, {}} {
			dst := map[string]string{"stale": "x"}
			err := parseAttributesInterned([]byte(tt.in), dst, in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("%s: error %v, want %q", tt.in, err, tt.wantErr)
				}
				continue
			}
			if err != nil || !maps.Equal(dst, tt.want) {
				t.Errorf("%s: got %v, %v; want %v", tt.in, dst, err, tt.want)
			}
		}
	}
}
