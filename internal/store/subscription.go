package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// subscriptionMigrations hold the choices customers made on the preference
// page or through a one-click unsubscribe, per namespace, customer, channel
// kind (email, webhook, ...) and topic. A row exists only once a customer
// chose; without one the DataSource's consent decides (the baseline).
// subscribed is 0/1; updated_at is milliseconds since the Unix epoch.
var subscriptionMigrations = []string{`
CREATE TABLE subscription_preferences (
	namespace    TEXT NOT NULL,
	customer_id  TEXT NOT NULL,
	channel_kind TEXT NOT NULL,
	topic        TEXT NOT NULL,
	subscribed   INTEGER NOT NULL,
	updated_at   BIGINT NOT NULL,
	PRIMARY KEY (namespace, customer_id, channel_kind, topic)
)`}

// MigrateSubscriptions creates or upgrades the subscription preference table.
func (db *DB) MigrateSubscriptions(ctx context.Context) error {
	return db.Migrate(ctx, "subscription", subscriptionMigrations)
}

// SubscriptionKey names one customer's choice for one topic on one kind of channel.
type SubscriptionKey struct {
	Namespace, CustomerID, ChannelKind, Topic string
}

// SetSubscription records a customer's choice. It returns once the row is
// committed, so a caller that answers an HTTP request afterwards never
// confirms a choice a crash could lose.
func (db *DB) SetSubscription(ctx context.Context, k SubscriptionKey, subscribed bool, at time.Time) error {
	_, err := db.Exec(ctx, `INSERT INTO subscription_preferences
		(namespace, customer_id, channel_kind, topic, subscribed, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (namespace, customer_id, channel_kind, topic) DO UPDATE SET
			subscribed = excluded.subscribed, updated_at = excluded.updated_at`,
		k.Namespace, k.CustomerID, k.ChannelKind, k.Topic, b2i(subscribed), at.UnixMilli())
	if err != nil {
		// The key holds a customer id: it stays out of the error.
		return fmt.Errorf("recording subscription choice for topic %q: %w", k.Topic, err)
	}
	return nil
}

// SubscriptionChoices returns the recorded choices of one customer on one
// channel kind: topic -> subscribed. Topics without a choice are absent.
func (db *DB) SubscriptionChoices(ctx context.Context, namespace, customerID, channelKind string) (map[string]bool, error) {
	subscribed, err := QueryMap[int](ctx, db, `SELECT topic, subscribed FROM subscription_preferences
		WHERE namespace = $1 AND customer_id = $2 AND channel_kind = $3`, namespace, customerID, channelKind)
	if err != nil {
		return nil, fmt.Errorf("reading subscription choices: %w", err)
	}
	out := make(map[string]bool, len(subscribed))
	for topic, sub := range subscribed {
		out[topic] = sub != 0
	}
	return out, nil
}

// UnsubscribedAmong returns, of the given customers, the (customer, kind,
// topic) choices that are unsubscribes, keyed customerID -> "kind/topic".
// The campaign worker calls it once per batch. Ids are sent in chunks so no
// statement exceeds SQLite's parameter limit.
func (db *DB) UnsubscribedAmong(ctx context.Context, namespace string, customerIDs []string) (map[string]map[string]bool, error) {
	out := map[string]map[string]bool{}
	const chunk = 500
	for start := 0; start < len(customerIDs); start += chunk {
		ids := customerIDs[start:min(start+chunk, len(customerIDs))]
		args := make([]any, 0, len(ids)+1)
		args = append(args, namespace)
		marks := make([]string, len(ids))
		for i, id := range ids {
			args = append(args, id)
			marks[i] = fmt.Sprintf("$%d", i+2)
		}
		rows, err := db.Query(ctx, `SELECT customer_id, channel_kind, topic FROM subscription_preferences
			WHERE namespace = $1 AND subscribed = 0 AND customer_id IN (`+strings.Join(marks, ",")+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("reading unsubscribes: %w", err)
		}
		for rows.Next() {
			var id, kind, topic string
			if err := rows.Scan(&id, &kind, &topic); err != nil {
				rows.Close()
				return nil, err
			}
			if out[id] == nil {
				out[id] = map[string]bool{}
			}
			out[id][kind+"/"+topic] = true
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
