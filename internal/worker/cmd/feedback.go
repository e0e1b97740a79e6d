package cmd

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/feedback"
	"github.com/retention-dev/retention-operator/internal/store"
)

// feedbackCommand serves the sending providers' bounce and complaint
// webhooks (POST /feedback/{provider}) into the namespace's suppression
// list in the state store, until SIGTERM. It runs the endpoint on its own
// (outside a cluster, or in front of a store no Channel serves); in a
// cluster, a Channel's preferences server mounts the same handler when the
// Channel sets spec.preferences.feedback.
func feedbackCommand(g *globals) *cobra.Command {
	var (
		listen, secrets string
		providers       []string
		soft            store.SoftBouncePolicy
		tolerance       time.Duration
	)
	c := noArgsCommand("feedback", "Bounce and complaint webhooks (SendGrid, Mailgun, Postmark) into the suppression list", func(ctx context.Context) error {
		ns := os.Getenv(contract.EnvNamespace)
		if ns == "" {
			return fmt.Errorf("%s is not set; the suppression list is kept per namespace", contract.EnvNamespace)
		}
		ps, err := feedback.ProvidersFromSecrets(channel.DirSecrets(secrets), providers, tolerance)
		if err != nil {
			return err
		}
		db, err := g.openStateStore(ctx)
		if err != nil {
			return err
		}
		defer db.Close()
		if err := db.MigrateSuppressions(ctx); err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("/feedback/", feedback.Handler(db, feedback.Options{Namespace: ns, SoftBounces: soft, Logger: g.logger}, ps...))
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
		return serveHTTP(ctx, g, listen, mux)
	})
	c.Flags().StringVar(&listen, "listen", ":8080", "address the webhook endpoint listens on")
	c.Flags().StringSliceVar(&providers, "providers", []string{"sendgrid", "mailgun", "postmark"},
		"providers to accept: sendgrid, mailgun, postmark (each needs its keys in --secrets)")
	c.Flags().StringVar(&secrets, "secrets", g.paths.Secrets("feedback"),
		"directory of the mounted Secret holding "+feedback.SendGridKeySecret+", "+feedback.MailgunKeySecret+", "+
			feedback.PostmarkUserSecret+" and "+feedback.PostmarkPasswordSecret)
	c.Flags().IntVar(&soft.Limit, "soft-bounce-limit", 0, fmt.Sprintf("soft bounces that suppress an address (0: %d)", store.DefaultSoftBounceLimit))
	c.Flags().DurationVar(&soft.Window, "soft-bounce-window", 0, fmt.Sprintf("window the soft bounces are counted in (0: %s)", store.DefaultSoftBounceWindow))
	c.Flags().DurationVar(&tolerance, "signature-tolerance", 0, fmt.Sprintf("how far a signed timestamp may be from now (0: %s)", feedback.DefaultTolerance))
	return c
}
