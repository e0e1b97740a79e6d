package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/report"
	"github.com/retention-dev/retention-operator/internal/specmap"
	metricjob "github.com/retention-dev/retention-operator/internal/worker/metrics"
	"github.com/retention-dev/retention-operator/internal/workerconfig"
)

// segmentEvalResult is what `retentionctl segment eval` prints: aggregates
// only, as the Segment's status would show them.
type segmentEvalResult struct {
	Segment   string            `json:"segment"`
	AsOf      time.Time         `json:"asOf"`
	Customers int64             `json:"customers"`
	Size      int64             `json:"size"`
	Metrics   map[string]string `json:"metrics,omitempty"`
	Cohorts   *report.Cohorts   `json:"cohorts,omitempty"`
}

// newSegmentCommand is `retentionctl segment`.
func newSegmentCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "segment",
		Short: "Work with Segments locally",
	}
	cmd.AddCommand(newSegmentEvalCommand())
	return cmd
}

type segmentEvalOptions struct {
	segmentFile, dataSourceFile string
	dataDir, dsn, asOf          string
}

func newSegmentEvalCommand() *cobra.Command {
	o := &segmentEvalOptions{}
	cmd := &cobra.Command{
		Use:   "eval -f segment.yaml --datasource datasource.yaml",
		Short: "Run a Segment against a DataSource locally and print its size and metrics",
		Long: `Run a Segment's metric job locally, without a cluster and without storing
a membership snapshot: the criteria is evaluated over the DataSource's customers
and the requested metrics are printed (aggregates only, never customer data).

A file DataSource whose data comes from a ConfigMap reads it from --data; a
postgres DataSource reads its connection string from --dsn or
RETENTION_DATASOURCE_DSN (the Secret's value).

  retentionctl segment eval -f lapsed.yaml --datasource shop.yaml --data ./shop-data
  retentionctl segment eval -f lapsed.yaml --datasource shop-db.yaml --dsn postgres://me@localhost/shop -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := evalSegment(cmd, o)
			if err != nil {
				return err
			}
			out, _ := cmd.Flags().GetString("output")
			if done, err := printStructured(cmd.OutOrStdout(), out, res); done || err != nil {
				return err
			}
			return printSegmentTable(cmd.OutOrStdout(), res)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.segmentFile, "filename", "f", "", "Segment manifest (YAML or JSON; required)")
	f.StringVar(&o.dataSourceFile, "datasource", "", "DataSource manifest the Segment's dataSourceRef names (required)")
	f.StringVar(&o.dataDir, "data", "", "directory holding a file DataSource's data (for configMapRef sources, or to override spec.file.path)")
	f.StringVar(&o.dsn, "dsn", "", "PostgreSQL connection string of a postgres DataSource (default $"+workerconfig.EnvDataSourceDSN+")")
	f.StringVar(&o.asOf, "as-of", "", "evaluate as of this instant (RFC 3339 or YYYY-MM-DD; default now)")
	_ = cmd.MarkFlagRequired("filename")
	_ = cmd.MarkFlagRequired("datasource")
	return cmd
}

// readManifest decodes a YAML or JSON manifest of kind into v.
func readManifest(path, kind string, v any) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var meta struct {
		Kind string `json:"kind"`
	}
	if err := sigsyaml.Unmarshal(raw, &meta); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if meta.Kind != kind {
		return fmt.Errorf("%s: kind is %q, want %s", path, meta.Kind, kind)
	}
	if err := sigsyaml.UnmarshalStrict(raw, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func evalSegment(cmd *cobra.Command, o *segmentEvalOptions) (segmentEvalResult, error) {
	var seg v1alpha1.Segment
	if err := readManifest(o.segmentFile, "Segment", &seg); err != nil {
		return segmentEvalResult{}, fmt.Errorf("-f: %w", err)
	}
	var ds v1alpha1.DataSource
	if err := readManifest(o.dataSourceFile, "DataSource", &ds); err != nil {
		return segmentEvalResult{}, fmt.Errorf("--datasource: %w", err)
	}
	if ref := seg.Spec.DataSourceRef.Name; ref != "" && ds.Name != "" && ref != ds.Name {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: the Segment's dataSourceRef is %q, --datasource is %q\n", ref, ds.Name)
	}
	asOf := time.Now().UTC()
	if o.asOf != "" {
		t, err := parseAsOf(o.asOf) // preview_cmd.go's: RFC 3339 or a date
		if err != nil {
			return segmentEvalResult{}, err
		}
		asOf = t.UTC()
	}
	dsn := o.dsn
	if dsn == "" {
		dsn = os.Getenv(workerconfig.EnvDataSourceDSN)
	}
	cfg, err := specmap.DataSource(ds.Spec, dsn)
	if err != nil {
		return segmentEvalResult{}, fmt.Errorf("--datasource: %w", err)
	}
	if err := applyDataDir(&cfg, ds.Spec, o.dataDir); err != nil {
		return segmentEvalResult{}, err
	}
	bar := newProgress(cmd.ErrOrStderr(), "customers scanned", 0)
	sum, err := metricjob.Run(cmd.Context(), metricjob.Options{
		Namespace: seg.Namespace, Name: seg.Name, Spec: seg.Spec, Source: cfg,
		Clock:    func() time.Time { return asOf },
		Progress: func(p metricjob.Progress) { bar.Set(int(p.Rows)) },
	})
	bar.Done()
	if err != nil {
		return segmentEvalResult{}, err
	}
	return segmentEvalResult{Segment: seg.Name, AsOf: sum.RunTime, Customers: sum.Customers, Size: sum.Size,
		Metrics: sum.Metrics, Cohorts: sum.Cohorts}, nil
}

// applyDataDir points a file source at --data: the ConfigMap's files are
// mounted at workload.DataDir in a pod, and locally they are wherever the
// user keeps them.
func applyDataDir(cfg *datasource.Config, spec v1alpha1.DataSourceSpec, dir string) error {
	if spec.File == nil {
		if dir != "" {
			return fmt.Errorf("--data applies to file DataSources only; this one is not")
		}
		return nil
	}
	if dir == "" {
		if spec.File.ConfigMapRef != nil {
			return fmt.Errorf("--data: the DataSource reads ConfigMap %q; give the directory holding its files", spec.File.ConfigMapRef.Name)
		}
		return nil
	}
	cfg.Path = dir
	if cfg.Format == datasource.FormatTransactions {
		switch {
		case spec.File.ConfigMapRef != nil && len(spec.File.ConfigMapRef.Keys) == 1:
			cfg.Path = filepath.Join(dir, spec.File.ConfigMapRef.Keys[0])
		case spec.File.Path != "":
			cfg.Path = filepath.Join(dir, filepath.Base(spec.File.Path))
		}
	}
	return nil
}

func printSegmentTable(w io.Writer, r segmentEvalResult) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	share := "-"
	if r.Customers > 0 {
		share = fmt.Sprintf("%.2f%%", float64(r.Size)/float64(r.Customers)*100)
	}
	fmt.Fprintln(tw, "SEGMENT\tAS OF\tCUSTOMERS\tSIZE\tSHARE")
	fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", r.Segment, r.AsOf.Format(time.RFC3339), r.Customers, r.Size, share)
	if len(r.Metrics) > 0 {
		fmt.Fprintln(tw)
		fmt.Fprintln(tw, "METRIC\tVALUE")
		names := make([]string, 0, len(r.Metrics))
		for name := range r.Metrics {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			fmt.Fprintf(tw, "%s\t%s\n", name, r.Metrics[name])
		}
	}
	if c := r.Cohorts; c != nil && len(c.Labels) > 0 {
		fmt.Fprintln(tw)
		fmt.Fprint(tw, "COHORT\tSIZE")
		for k := range c.Labels {
			fmt.Fprintf(tw, "\tM%d", k)
		}
		fmt.Fprintln(tw)
		for i, label := range c.Labels {
			fmt.Fprintf(tw, "%s\t%d", label, c.Sizes[i])
			for _, v := range c.Rows[i] {
				fmt.Fprintf(tw, "\t%.2f%%", v)
			}
			fmt.Fprintln(tw)
		}
	}
	return tw.Flush()
}
