package ingest

// The spec's limits (Segment HTTP Tracking API, "Max request size"): one
// call's body, and each message inside a batch, at most 32 KB; a batch body
// at most 500 KB. Bodies are read through these bounds, so an oversized
// request costs at most the bound in memory.
const (
	MaxMessageBytes = 32 * 1024
	MaxBatchBytes   = 500 * 1024
)

// Bounds on the identifiers this API stores, so one message cannot make an
// index entry larger than PostgreSQL's btree allows (about 2.7 KB).
const (
	maxIDLen   = 256 // messageId, userId, anonymousId, previousId
	maxNameLen = 256 // track event name, page/screen name
)
