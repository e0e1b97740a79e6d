package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ListenIngested connects to the PostgreSQL state store at url, LISTENs on
// IngestNotifyChannel and signals wake (without blocking: one pending signal
// stands for any number) whenever the ingestion API committed new events of
// source. It returns when ctx ends or the connection fails; callers
// reconnect, and poll meanwhile, since a notification sent while nobody
// listened is gone.
func ListenIngested(ctx context.Context, url, source string, wake chan<- struct{}) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("listen for ingested events: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+IngestNotifyChannel); err != nil {
		return fmt.Errorf("listen for ingested events: %w", err)
	}
	// Events committed between the caller's last read and this LISTEN sent
	// no notification here: one signal now covers them.
	signal(wake)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("listen for ingested events: %w", err)
		}
		if n.Payload == source {
			signal(wake)
		}
	}
}

func signal(wake chan<- struct{}) {
	select {
	case wake <- struct{}{}:
	default:
	}
}
