// Package feedback turns a sending provider's bounce and complaint webhooks
// into typed events (store.Feedback) and records them in the suppression
// store, so the campaign worker stops mailing addresses that bounced or
// complained.
//
// Supported, in each provider's documented format:
//
//   - SendGrid Event Webhook: a JSON array of events, signed with ECDSA
//     P-256 over timestamp+body (X-Twilio-Email-Event-Webhook-Signature and
//     X-Twilio-Email-Event-Webhook-Timestamp), checked with the base64
//     verification key from SendGrid's Mail Settings.
//   - Mailgun webhooks: {"signature": {timestamp, token, signature},
//     "event-data": {...}}, HMAC-SHA256 of timestamp+token with the webhook
//     signing key.
//   - Postmark bounce and spam-complaint webhooks: no signature; HTTP Basic
//     credentials configured on the webhook URL are checked.
//
// Amazon SES (through SNS) is not supported: verifying an SNS message needs
// the signing certificate fetched from AWS at run time.
//
// Every request is bounded (body size, JSON depth, events per request,
// field lengths) and refused with a 4xx naming the problem before anything
// is recorded; a request whose signature does not verify, or whose signed
// timestamp is outside the tolerance window, changes nothing. Errors and
// logs never carry addresses or secret values.
package feedback
