package datasource

import "strings"

// redactErr renders err with secret (a password or a whole DSN) cut out, so
// connection errors can name the host without leaking credentials.
func redactErr(err error, secret string) string {
	msg := err.Error()
	if secret != "" {
		msg = strings.ReplaceAll(msg, secret, "***")
	}
	return msg
}
