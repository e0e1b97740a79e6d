package cmd

import (
	"context"
	"fmt"
	"net/http"

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
