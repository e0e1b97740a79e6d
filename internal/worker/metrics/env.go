package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/retention-dev/retention-operator/internal/report"
	"github.com/retention-dev/retention-operator/internal/specmap"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/workerconfig"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// RunFromEnv is `worker metrics`: it reads the spec the controller mounted at
// specPath and the environment (workerconfig.EnvDataSourceDSN,
// workerconfig.EnvStateStore, and the report destination report.FromEnv
// picks), runs the job and publishes the summary. It returns an error, so the
// process exits non-zero and the Job shows the failure, whenever the run
// failed, even though the failed summary was published.
func RunFromEnv(ctx context.Context, specPath string) error {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	pub, err := report.FromEnv()
	if err != nil {
		return err
	}
	sum, runErr := runFromEnv(ctx, specPath, logger)
	if sum.RunTime.IsZero() {
		sum.RunTime = time.Now().UTC()
	}
	if err := pub.Publish(ctx, sum); err != nil {
		if runErr != nil {
			return fmt.Errorf("%w (and publishing the summary failed: %v)", runErr, err)
		}
		return err
	}
	return runErr
}

func runFromEnv(ctx context.Context, specPath string, logger *slog.Logger) (report.Segment, error) {
	var seg workerconfig.Segment
	if err := workerconfig.Load(specPath, &seg); err != nil {
		return report.Segment{Error: err.Error()}, err
	}
	cfg, err := specmap.DataSource(seg.DataSource, os.Getenv(workerconfig.EnvDataSourceDSN))
	if err != nil {
		msg := "data source config: " + err.Error()
		return report.Segment{Error: msg}, fmt.Errorf("%s", msg)
	}
	url := os.Getenv(workerconfig.EnvStateStore)
	if url == "" {
		// The embedded default, under $RETENTION_LOCAL_ROOT in a local run.
		url = "sqlite:" + workload.Path(strings.TrimPrefix(workload.DefaultState, "sqlite:"))
	}
	db, err := store.Open(ctx, url)
	if err != nil {
		return report.Segment{Error: err.Error()}, err
	}
	defer db.Close()
	opts := Options{Namespace: seg.Namespace, Name: seg.Name, Spec: seg.Spec, Source: cfg, DB: db, Logger: logger}
	if seg.LoyaltyProgram != nil {
		lc, err := specmap.Loyalty(seg.LoyaltyProgram)
		if err != nil {
			msg := "loyalty program config: " + err.Error()
			return report.Segment{Error: msg}, fmt.Errorf("%s", msg)
		}
		opts.Loyalty = &lc
	}
	return Run(ctx, opts)
}
