package cmd

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/ingest"
)

// ingestFlags are the ingest command's flags. In a pod the source and the
// write key file come from the spec the DataSource controller rendered;
// --source and --write-key-file serve local runs and tests.
type ingestFlags struct {
	listen       string
	source       string
	writeKeyFile string
	maxConns     int
}

// ingestCommand serves the ingestion API (Segment HTTP Tracking API shapes)
// for one source until SIGTERM, then finishes the requests in flight.
func ingestCommand(g *globals) *cobra.Command {
	var f ingestFlags
	c := noArgsCommand("ingest", "Ingestion API: Segment-spec track/identify/page/alias/batch into the state store", func(ctx context.Context) error {
		return runIngest(ctx, g, f)
	})
	c.Flags().StringVar(&f.listen, "listen", ":8080", "address of the HTTP API (the pod's port named http)")
	c.Flags().StringVar(&f.source, "source", "", "source the events belong to: <namespace>/<DataSource> (default: the spec file's)")
	c.Flags().StringVar(&f.writeKeyFile, "write-key-file", "",
		"file holding the write key; re-read every 10s (default: the mounted Secret the spec file names)")
	c.Flags().IntVar(&f.maxConns, "db-max-open-conns", 16, "most state store connections; requests beyond them wait")
	return c
}

func runIngest(ctx context.Context, g *globals, f ingestFlags) error {
	if f.source == "" {
		// In a pod the controller's spec says both (see contract.Ingest).
		var spec contract.Ingest
		if err := contract.Load(g.specPath(), &spec); err != nil {
			return fmt.Errorf("no --source, and the spec file: %w", err)
		}
		if spec.Source == "" || spec.WriteKeyKey == "" {
			return errors.New("the ingest spec names no source or write key; the DataSource controller renders both")
		}
		f.source = spec.Source
		if f.writeKeyFile == "" {
			f.writeKeyFile = g.paths.Secrets(contract.IngestWriteKeyDir, spec.WriteKeyKey)
		}
	}
	if f.writeKeyFile == "" {
		return errors.New("--write-key-file is required with --source")
	}
	db, err := g.openStateStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(f.maxConns)
	db.SetMaxIdleConns(f.maxConns)
	srv, err := ingest.NewServer(ctx, ingest.Options{DB: db, Source: f.source, WriteKeyFile: f.writeKeyFile, Logger: g.logger})
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	// Requests in flight commit and are answered; new ones are refused.
	return serve(ctx, g, f.listen, hs, 20*time.Second, "ingestion API listening", "source", f.source)
}
