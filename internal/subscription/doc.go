// Package subscription lets customers leave a topic with one click and
// change their topics on a small preference page.
//
// A link names one customer, one channel kind (email, webhook) and one
// topic, signed with HMAC-SHA256 under the Channel's preferences key
// (link.go). Links do not expire: a mail may be read months later, and the
// only thing a link can do is change its own customer's subscriptions;
// rotating the key is how old links are withdrawn. The server
// (package pageserver) records every choice in the state store before it answers,
// and the campaign worker reads those choices at send time.
package subscription
