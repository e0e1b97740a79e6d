package cmd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/feedback"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/subscription"
	"github.com/retention-dev/retention-operator/internal/subscription/pageserver"
)

// preferencesCommand is a Channel's <name>-preferences Deployment: the
// one-click unsubscribe and preference page server on --listen, writing
// choices to the shared state store, until SIGTERM.
func preferencesCommand(g *globals) *cobra.Command {
	var listen string
	c := noArgsCommand("preferences", "Channel preferences: one-click unsubscribe (RFC 8058) and the preference page", func(ctx context.Context) error {
		h, closeDB, err := preferencesHandler(ctx, g)
		if err != nil {
			return err
		}
		defer closeDB()
		return serveHTTP(ctx, g, listen, h)
	})
	c.Flags().StringVar(&listen, "listen", ":8080", "address of the page server (the pod's port named http)")
	return c
}

// preferencesHandler is the page server, and with spec.preferences.feedback
// the providers' bounce and complaint webhooks under /feedback/ beside it.
func preferencesHandler(ctx context.Context, g *globals) (http.Handler, func(), error) {
	srv, spec, db, err := preferencesServer(ctx, g)
	if err != nil {
		return nil, nil, err
	}
	closeDB := func() { db.Close() }
	names := spec.Preferences.Feedback
	if len(names) == 0 {
		return srv.Handler(), closeDB, nil
	}
	ps, err := feedback.ProvidersFromSecrets(channel.DirSecrets(g.paths.Secrets(contract.FeedbackSecretsDir, spec.Name)), names, 0)
	if err == nil {
		err = db.MigrateSuppressions(ctx)
	}
	if err != nil {
		closeDB()
		return nil, nil, fmt.Errorf("channel %s: spec.preferences.feedback: %w", spec.Name, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", srv.Handler())
	mux.Handle("/feedback/", feedback.Handler(db, feedback.Options{Namespace: spec.Namespace, Logger: g.logger}, ps...))
	return mux, closeDB, nil
}

// preferencesServer reads the Channel spec, the mounted signing key and the
// state store, and migrates the subscription table.
func preferencesServer(ctx context.Context, g *globals) (*pageserver.Server, *contract.Preferences, *store.DB, error) {
	var spec contract.Preferences
	if err := contract.Load(g.specPath(), &spec); err != nil {
		return nil, nil, nil, err
	}
	key, err := preferencesKey(spec.Name, &spec.Preferences, g.paths)
	if err != nil {
		return nil, nil, nil, err
	}
	signer, err := subscription.NewSigner(key)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("channel %s: %w", spec.Name, err)
	}
	db, err := g.openStateStore(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := db.MigrateSubscriptions(ctx); err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	return &pageserver.Server{Namespace: spec.Namespace, Config: spec.Preferences.Config, Signer: signer, Store: db, Logger: g.logger},
		&spec, db, nil
}

// serveHTTP serves h with timeouts that bound slow clients, and
// shuts down gracefully when ctx ends.
func serveHTTP(ctx context.Context, g *globals, listen string, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 16 << 10}
	return serve(ctx, g, listen, srv, 10*time.Second, "listening")
}

// serve listens on addr and runs srv until ctx ends; then the requests in
// flight have grace to be answered while new ones are refused. The log line
// msg says where it listens, with logArgs beside the address.
func serve(ctx context.Context, g *globals, addr string, srv *http.Server, grace time.Duration, msg string, logArgs ...any) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", addr, err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	g.logger.Info(msg, append([]any{"addr", l.Addr().String()}, logArgs...)...)
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
