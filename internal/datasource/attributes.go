package datasource

import (
	"encoding/json"
	"fmt"
)

// parseAttributes fills dst (cleared first) from a JSON object. Flat objects
// of plain strings, the common case, are parsed without encoding/json because
// the features scan does this once per customer; anything else (escapes,
// numbers, nesting) falls back to encoding/json, rendering non-string values
// as their JSON text.
func parseAttributes(b []byte, dst map[string]string) error {
	return parseAttributesInterned(b, dst, nil)
}

// interner hands out one string per distinct short byte sequence, so the
// attribute keys and the handful of values ("country", "US") repeated on
// every row are allocated once per scan instead of once per row.
type interner map[string]string

const (
	internMaxLen     = 32
	internMaxEntries = 4096
)

func (in interner) str(b []byte) string {
	if in == nil || len(b) > internMaxLen {
		return string(b)
	}
	if s, ok := in[string(b)]; ok { // the compiler does not allocate for this lookup
		return s
	}
	s := string(b)
	if len(in) < internMaxEntries {
		in[s] = s
	}
	return s
}

// parseAttributesInterned is parseAttributes sharing strings through in (nil: no sharing).
func parseAttributesInterned(b []byte, dst map[string]string, in interner) error {
	clear(dst)
	if len(b) == 0 {
		return nil
	}
	if parseFlatStrings(b, dst, in) {
		return nil
	}
	clear(dst)
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	for k, v := range m {
		if string(v) == "null" {
			continue // absent, like SQL NULL (Unmarshal would give "")
		}
		var s string
		if err := json.Unmarshal(v, &s); err == nil {
			dst[k] = s
			continue
		}
		dst[k] = string(v)
	}
	return nil
}

// parseFlatStrings handles {"k":"v", ...} with no escapes; false means "use
// the general parser".
func parseFlatStrings(b []byte, dst map[string]string, in interner) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return skipSpace(b, i+1) == len(b)
	}
	for {
		k, j, ok := plainString(b, i, in)
		if !ok {
			return false
		}
		i = skipSpace(b, j)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		v, j2, ok := plainString(b, skipSpace(b, i+1), in)
		if !ok {
			return false
		}
		dst[k] = v
		i = skipSpace(b, j2)
		if i >= len(b) {
			return false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return skipSpace(b, i+1) == len(b)
		default:
			return false
		}
	}
}

func plainString(b []byte, i int, in interner) (string, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return "", i, false
	}
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			return "", i, false
		case '"':
			return in.str(b[i+1 : j]), j + 1, true
		}
	}
	return "", i, false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
