// Package ingest is the ingestion API: the Segment HTTP Tracking API's
// endpoints (POST /v1/track, /v1/identify, /v1/page, /v1/screen, /v1/group,
// /v1/alias and /v1/batch) over a DataSource's write key, writing every
// accepted message to the state store (store.StoreIngested) in one
// transaction before it answers 200. The worker's `ingest` command serves it;
// docs/ingestion.md describes it for users.
package ingest
