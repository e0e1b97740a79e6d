package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	"github.com/retention-dev/retention-operator/internal/redact"
	"github.com/retention-dev/retention-operator/internal/report"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// RunFromEnv is `worker metrics`: it reads the spec the controller mounted at
// specPath (where paths puts it), the files paths locates and the environment (contract.EnvDataSourceDSN,
// contract.EnvStateStore, and the report destination report.FromEnv
// picks), runs the job and publishes the summary. It returns an error, so the
// process exits non-zero and the Job shows the failure, whenever the run
// failed, even though the failed summary was published.
// with adjusts the run's Options (the command's flags: Full, Refit).
func RunFromEnv(ctx context.Context, paths workload.Paths, specPath string, with ...func(*Options)) error {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	pub, err := report.FromEnv()
	if err != nil {
		return err
	}
	sum, runErr := runFromEnv(ctx, paths, specPath, logger, with)
	if errors.Is(runErr, errShardLeftToOthers) {
		return nil // another shard of the run publishes
	}
	if sum.RunTime.IsZero() {
		sum.RunTime = time.Now().UTC()
	}
	if err := pub.Publish(ctx, sum); err != nil {
		if runErr != nil {
			return fmt.Errorf("%s (and publishing the summary failed: %s)", redact.Error(runErr), redact.Error(err))
		}
		return errors.New(redact.Error(err))
	}
	if runErr != nil {
		// The process's error ends up in the pod's log and, through
		// FallbackToLogsOnError, its termination message.
		return errors.New(redact.Error(runErr))
	}
	return nil
}

func runFromEnv(ctx context.Context, paths workload.Paths, specPath string, logger *slog.Logger, with []func(*Options)) (report.Segment, error) {
	var seg contract.Segment
	if err := contract.Load(specPath, &seg); err != nil {
		return report.Segment{Error: err.Error()}, err
	}
	cfg, err := Source(seg.DataSource, paths)
	if err != nil {
		msg := "data source config: " + err.Error()
		return report.Segment{Error: msg}, fmt.Errorf("%s", msg)
	}
	url, err := StateStoreURL(paths)
	if err != nil {
		return report.Segment{Error: err.Error()}, err
	}
	db, err := store.Open(ctx, url)
	if err != nil {
		err = errors.New(redact.Error(err, url))
		return report.Segment{Error: err.Error()}, err
	}
	defer db.Close()
	opts := Options{Namespace: seg.Namespace, Name: seg.Name, Segment: seg.Config, Source: cfg, DB: db, Logger: logger,
		Loyalty: seg.Loyalty}
	if seg.DataSource.Ingest {
		opts.IngestSource = seg.DataSource.IngestSource
	}
	for _, w := range with {
		w(&opts)
	}
	if seg.Config.ShardCount() > 1 {
		return runShardFromEnv(ctx, opts)
	}
	return Run(ctx, opts)
}

// Source is the data source a worker opens: the rendered connector
// configuration with the PostgreSQL DSN from contract.EnvDataSourceDSN,
// a mounted path under paths.Data(), and file and SQLite paths confined to
// the data mount (sourceconfig.Config.Root). In a pod the data mount is
// workload.DataDir, the only data the pod has, so a spec naming any other
// file (/proc/self/environ holds the Secret-fed environment) is refused. A
// local run reads the user's own files on the user's own machine, where no
// tenant boundary exists: only /proc, /sys and /dev are refused there.
func Source(ds contract.DataSource, paths workload.Paths) (sourceconfig.Config, error) {
	cfg, err := ds.Connector(paths.Data(), os.Getenv(contract.EnvDataSourceDSN))
	if err != nil {
		return cfg, err
	}
	if !paths.Local() {
		cfg.Root = workload.DataDir
	}
	return cfg, nil
}

// StateStoreURL is contract.EnvStateStore (default
// workload.DefaultState), checked and with a sqlite: path mapped through
// paths, because the controller writes the container path
// (sqlite:/var/lib/retention/state/state.db) and a local run keeps that
// file under the local root. In a local run the directory of the
// SQLite file is created (in a pod it is the state emptyDir, which always
// exists).
//
// The variable is either the controller's own sqlite: default or the value
// of the DataSource's stateStore.dsnSecretRef, which a tenant may point at
// any Secret of the namespace. So only a postgres:// URL or a sqlite: URL is
// accepted; anything else is refused without being echoed (it may be some
// other Secret's value), never taken as a file path.
func StateStoreURL(paths workload.Paths) (string, error) {
	url := os.Getenv(contract.EnvStateStore)
	if url == "" {
		url = workload.DefaultState
	}
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		return url, nil
	}
	path, ok := strings.CutPrefix(url, "sqlite:")
	if !ok {
		return "", fmt.Errorf("state store: stateStore dsnSecretRef value is not a postgres:// URL; set the Secret's key to postgres://user:password@host:5432/db (the value is not shown)")
	}
	if path == ":memory:" || path == "" {
		return url, nil // store.Open explains an empty path
	}
	path = paths.Of(path)
	if paths.Local() {
		file, _, _ := strings.Cut(path, "?")
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return "", fmt.Errorf("%s: state directory: %w", contract.EnvStateStore, err)
		}
	}
	return "sqlite:" + path, nil
}
