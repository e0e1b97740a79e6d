package campaign

import (
	"context"
	"time"

	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/channel/senderconfig"
	"github.com/retention-dev/retention-operator/internal/store"
)

// sharedRateLimited holds a channel's sends to its rate across every replica
// of every playbook: each send first reserves a token from the Channel's
// bucket in the state store (store.ReserveChannelToken) and waits for it.
// It wraps the channel's sender stack, so one message takes one token; the
// stack's own per-process limiter still paces retries.
type sharedRateLimited struct {
	next  channel.Sender
	db    *store.DB
	key   string
	limit senderconfig.RateLimit
}

func (s *sharedRateLimited) Send(ctx context.Context, msg channel.Message) error {
	wait, err := s.db.ReserveChannelToken(ctx, s.key, s.limit.PerSecond, s.limit.Burst)
	if err != nil {
		// Transient: the row stays pending and is sent next tick.
		return err
	}
	if wait > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait): // an unreferenced timer is collected (Go 1.23+)
		}
	}
	return s.next.Send(ctx, msg)
}

// shareRateLimits wraps the senders of channels with a rate (ChannelRates)
// in the shared limiter; the bucket is keyed by namespace and Channel name,
// as Channels are namespaced.
func shareRateLimits(ctx context.Context, o *Options, db *store.DB) error {
	if len(o.ChannelRates) == 0 {
		return nil
	}
	if err := db.MigrateChannelRates(ctx); err != nil {
		return err
	}
	wrapped := make(map[string]channel.Sender, len(o.Channels))
	for name, s := range o.Channels {
		if r, ok := o.ChannelRates[name]; ok && r.PerSecond > 0 {
			s = &sharedRateLimited{next: s, db: db, key: o.Playbook.Namespace + "/" + name, limit: r}
		}
		wrapped[name] = s
	}
	o.Channels = wrapped
	return nil
}
