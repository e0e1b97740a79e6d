package feedback

import "time"

// Bounds on one webhook request. Providers batch events (SendGrid posts up
// to a few hundred per request, each well under 2 KiB), so these leave room
// for real traffic while refusing what could tie up the store.
const (
	// MaxBodyBytes is the largest request body read (413 beyond).
	MaxBodyBytes = 1 << 20
	// MaxJSONDepth is the deepest nesting of objects and arrays accepted.
	MaxJSONDepth = 16
	// MaxEvents is the most events accepted in one request.
	MaxEvents = 1000
	// maxAddressLen is RFC 5321's longest path (forward-path 256 octets
	// plus the display-name room providers add): longer is not an address.
	maxAddressLen = 320
	// maxEventIDLen bounds provider event ids (all three use under 100).
	maxEventIDLen = 256
	// DefaultTolerance is how far a signed timestamp may be from now before
	// the request counts as replayed (or a clock is wrong): SendGrid does not
	// state one; five minutes is the common choice of webhook signers.
	DefaultTolerance = 5 * time.Minute
)
