// Package redact is the one place that turns an error into the text that may
// reach a custom resource's status, an Event, a worker's report or an
// info-level log line. Those outputs are readable by tenants who may not read
// Secrets, so the text must never carry a Secret value, a connection string's
// credentials, the process environment or a customer's contact data, however
// the error was produced (a parser quoting a cell, a driver quoting its DSN, a
// file that turned out to be /proc/self/environ).
//
// Redaction is by shape (URL credentials, password parameters, environment
// assignments, email addresses, phone numbers, control bytes) plus the exact
// values of the Secret-fed environment variables the worker was started with
// (see SecretEnv), and the result is bounded in size.
package redact
