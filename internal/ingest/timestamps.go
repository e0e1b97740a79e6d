package ingest

import "time"

// eventTime is the spec's timestamp for a message received at receivedAt
// (Segment spec, "Timestamps"): without a timestamp, receivedAt; with a
// timestamp and the sender's sentAt, the timestamp corrected for the
// sender's clock skew, receivedAt - (sentAt - timestamp); with a timestamp
// alone (server libraries and historical imports), the timestamp as given.
func eventTime(timestamp, sentAt *time.Time, receivedAt time.Time) time.Time {
	switch {
	case timestamp == nil:
		return receivedAt
	case sentAt == nil:
		return *timestamp
	default:
		return receivedAt.Add(-sentAt.Sub(*timestamp))
	}
}

// parseTime reads an ISO-8601 timestamp as the spec's libraries write it
// (RFC 3339, with or without fractional seconds).
func parseTime(field, s string) (*time.Time, *RequestError) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, badField(field, "want an ISO-8601 time such as 2026-11-30T16:00:00.000Z")
	}
	return &t, nil
}
