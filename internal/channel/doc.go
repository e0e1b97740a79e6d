// Package channel delivers rendered retention messages to customers through
// message channels: HTTP webhooks (HMAC-signed JSON), SMTP e-mail and a console
// writer for local runs.
//
// Every Sender takes a Message carrying an IdempotencyKey. Channels forward that
// key to the receiver (the Idempotency-Key HTTP header, the X-Retention-Idempotency-Key
// mail header and a Message-ID derived from it) so that a resend after a crash
// can be de-duplicated downstream: at-least-once delivery from the campaign worker
// becomes effectively-once at the receiver.
//
// Errors are classified with IsPermanent: a permanent error (bad request, rejected
// recipient, invalid address) will fail the same way on every attempt and must not
// be retried; anything else is transient. WithRetry and WithRateLimit wrap any
// Sender; New builds a configured Sender stack from a Config.
package channel
