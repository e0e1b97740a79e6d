package loyalty

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// maxBodyBytes bounds a request body: the largest valid body (a reason of a
// few hundred characters) is far below it.
const maxBodyBytes = 16 << 10

// bodyError is a refused request body: status, message and the field it
// names. It is written to the client as it is (writeError), never passed on
// as an error, so it has no Error method.
type bodyError struct {
	code  int
	msg   string
	field string
}

// bodyFields maps each JSON name a route accepts to where its value goes.
type bodyFields map[string]any

// decodeBody reads exactly one JSON object from body (at most limit bytes)
// into fields. It is stricter than encoding/json, because a lenient decoder
// once let `{"reward":"five-off"}}garbage` and two concatenated objects spend
// points: names must match exactly (encoding/json folds case), each at most
// once, nothing but whitespace may follow the object, and unknown names are
// refused. Errors name the field and say what would be accepted.
func decodeBody(body io.Reader, limit int64, fields bodyFields) *bodyError {
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return &bodyError{400, "request body could not be read: " + err.Error(), "body"}
	}
	if int64(len(data)) > limit {
		return &bodyError{413, fmt.Sprintf("request body is larger than %d bytes", limit), "body"}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return &bodyError{400, "request body is empty: send a JSON object", "body"}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return &bodyError{400, "request body is not valid JSON for this route: send one JSON object such as " + example(fields), "body"}
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return syntaxError(err, fields)
		}
		name, _ := tok.(string)
		dest, ok := fields[name]
		if !ok {
			field := clip(name)
			if field == "" {
				field = "body" // an empty name cannot name the field
			}
			return &bodyError{400, fmt.Sprintf("unknown field %q: this route accepts %s", clip(name), names(fields)), field}
		}
		if seen[name] {
			return &bodyError{400, fmt.Sprintf("field %q appears twice: send it once", name), name}
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return syntaxError(err, fields)
		}
		if err := json.Unmarshal(raw, dest); err != nil {
			return &bodyError{400, fmt.Sprintf("field %s must be %s", name, jsonKind(dest)), name}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return syntaxError(err, fields)
	}
	if rest := bytes.TrimSpace(data[dec.InputOffset():]); len(rest) > 0 {
		return &bodyError{400, fmt.Sprintf("request body has data after the JSON object (at byte %d): send exactly one object", dec.InputOffset()), "body"}
	}
	return nil
}

func syntaxError(err error, fields bodyFields) *bodyError {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &bodyError{400, fmt.Sprintf("request body is not valid JSON for this route (at byte %d): send one JSON object such as %s", se.Offset, example(fields)), "body"}
	}
	return &bodyError{400, "request body is not valid JSON for this route: send one JSON object such as " + example(fields), "body"}
}

// jsonKind says in words what a destination accepts.
func jsonKind(dest any) string {
	switch dest.(type) {
	case *string:
		return "a JSON string"
	case *int64:
		return "a whole number (JSON integer)"
	default:
		return fmt.Sprintf("a JSON value for %T", dest)
	}
}

func names(fields bodyFields) string {
	var out []string
	for _, n := range sortedNames(fields) {
		out = append(out, fmt.Sprintf("%q", n))
	}
	return strings.Join(out, ", ")
}

func example(fields bodyFields) string {
	var out []string
	for _, n := range sortedNames(fields) {
		v := `"..."`
		if _, ok := fields[n].(*int64); ok {
			v = "1"
		}
		out = append(out, fmt.Sprintf("%q: %s", n, v))
	}
	return "{" + strings.Join(out, ", ") + "}"
}

func sortedNames(fields bodyFields) []string { return slices.Sorted(maps.Keys(fields)) }

// clip keeps an unknown field name short enough to echo back.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// writeBodyError answers a refused body.
func writeBodyError(w http.ResponseWriter, e *bodyError) { writeError(w, e.code, e.msg, e.field) }
