package feedback

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// checkJSON refuses a body that is not one JSON value, or that nests deeper
// than MaxJSONDepth, before any decoding into Go values: the standard
// decoder has no depth limit of its own.
func checkJSON(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	depth := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return badRequest("body", "not valid JSON (%v)", err)
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
				if depth > MaxJSONDepth {
					return badRequest("body", "JSON nests deeper than %d levels", MaxJSONDepth)
				}
			default:
				depth--
			}
		}
	}
	return nil
}

// jsonProblem names what was wrong with a JSON value without quoting it
// (a value may be an address).
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return te.Field + ": want a JSON " + te.Type.String()
	}
	return "malformed"
}
