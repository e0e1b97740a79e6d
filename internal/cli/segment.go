package cli

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	yaml "go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	"github.com/retention-dev/retention-operator/internal/report"
	"github.com/retention-dev/retention-operator/internal/specmap"
	metricjob "github.com/retention-dev/retention-operator/internal/worker/metrics"
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
	return commandGroup("segment", "Work with Segments locally", newSegmentEvalCommand())
}

type segmentEvalOptions struct {
	segmentFile, name  string
	dataSourceFiles    []string
	dataDir, dsn, asOf string
}

func newSegmentEvalCommand() *cobra.Command {
	o := &segmentEvalOptions{}
	cmd := &cobra.Command{
		Use:   "eval -f segment.yaml --datasource datasource.yaml",
		Short: "Run a Segment against a DataSource locally and print its size and metrics",
		Long: `Run a Segment's metric job locally, without a cluster and without storing
a membership snapshot: the criteria is evaluated over the DataSource's customers
and the requested metrics are printed (aggregates only, never customer data).

A file with several Segments needs --name. A file DataSource whose data comes
from a ConfigMap reads it from the ConfigMap's manifest given with
--datasource, or from a directory given with --data; a postgres DataSource reads its connection string from --dsn or
RETENTION_DATASOURCE_DSN (the Secret's value).

  retentionctl segment eval -f config/samples/30-segments.yaml --name active-customers \
    --datasource config/samples/10-datasource.yaml,config/samples/03-demo-data.yaml
  retentionctl segment eval -f lapsed.yaml --datasource shop.yaml --data ./shop-data
  retentionctl segment eval -f lapsed.yaml --datasource shop-db.yaml --dsn postgres://me@localhost/shop -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := evalSegment(cmd, o)
			if err != nil {
				return err
			}
			return printResult(cmd, res, printSegmentTable)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.segmentFile, "filename", "f", "", "Segment manifest (YAML or JSON; required)")
	f.StringVar(&o.name, "name", "", "the Segment to evaluate when the file holds several")
	f.StringSliceVar(&o.dataSourceFiles, "datasource", nil, "DataSource manifest the Segment's dataSourceRef names, and the ConfigMap manifest it reads if any (required, repeatable)")
	f.StringVar(&o.dataDir, "data", "", "directory holding a file DataSource's data (for configMapRef sources, or to override spec.file.path)")
	f.StringVar(&o.dsn, "dsn", "", "PostgreSQL connection string of a postgres DataSource (default $"+contract.EnvDataSourceDSN+")")
	f.StringVar(&o.asOf, "as-of", "", "evaluate as of this instant (RFC 3339 or YYYY-MM-DD; default now)")
	_ = cmd.MarkFlagRequired("filename")
	_ = cmd.MarkFlagRequired("datasource")
	return cmd
}

// manifestFiles reads every document of the given files (file:line kept
// for errors) and the data of any v1 ConfigMap among them, which a
// DataSource reading a ConfigMap (the demo) is unpacked from.
type manifestFiles struct {
	docs       []*document
	configMaps map[string]map[string]any
}

func readManifestFiles(files []string) (*manifestFiles, error) {
	m := &manifestFiles{configMaps: map[string]map[string]any{}}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		docs, probs := parseDocuments(f, raw)
		if len(probs) > 0 {
			return nil, fmt.Errorf("%s", probs[0].String())
		}
		for _, d := range docs {
			if d.kind == "ConfigMap" && d.apiVersion == "v1" {
				data, _ := d.obj["data"].(map[string]any)
				m.configMaps[d.name] = data
			}
		}
		m.docs = append(m.docs, docs...)
	}
	return m, nil
}

// count is the number of objects of kind.
func (m *manifestFiles) count(kind string) int {
	n := 0
	for _, d := range m.docs {
		if d.kind == kind {
			n++
		}
	}
	return n
}

// decodeOne picks the object of kind named name (or the only one when name
// is empty; several and no name is refused with their names) and decodes it
// strictly into v, so a misspelt field is an error as on the API server.
func (m *manifestFiles) decodeOne(kind, name, where, nameFlag string, v any) error {
	var docs []*document
	for _, d := range m.docs {
		if d.kind == kind {
			docs = append(docs, d)
		}
	}
	if len(docs) == 0 {
		kinds := map[string]bool{}
		var found []string
		for _, d := range m.docs {
			if !kinds[d.kind] {
				kinds[d.kind] = true
				found = append(found, fmt.Sprintf("%q", d.kind))
			}
		}
		return fmt.Errorf("no %s in %s (it holds kind %s)", kind, where, strings.Join(found, ", "))
	}
	d, err := pick(docs, name, kind, where, nameFlag)
	if err != nil {
		return err
	}
	raw, err := yaml.Marshal(d.root)
	if err != nil {
		return fmt.Errorf("%s:%d: %s: %v", d.file, d.line, d.id(), err)
	}
	if err := sigsyaml.UnmarshalStrict(raw, v); err != nil {
		return fmt.Errorf("%s:%d: %s: %v", d.file, d.line, d.id(), err)
	}
	return nil
}

func evalSegment(cmd *cobra.Command, o *segmentEvalOptions) (segmentEvalResult, error) {
	segFiles, err := readManifestFiles([]string{o.segmentFile})
	if err != nil {
		return segmentEvalResult{}, fmt.Errorf("-f: %w", err)
	}
	var seg v1alpha1.Segment
	if err := segFiles.decodeOne("Segment", o.name, o.segmentFile, "--name", &seg); err != nil {
		return segmentEvalResult{}, fmt.Errorf("-f: %w", err)
	}
	dsFiles, err := readManifestFiles(o.dataSourceFiles)
	if err != nil {
		return segmentEvalResult{}, fmt.Errorf("--datasource: %w", err)
	}
	var ds v1alpha1.DataSource
	// Several DataSources: the one the Segment names; a single one is used
	// even under another name (with a warning below), to try a Segment
	// against other data.
	dsName := ""
	if dsFiles.count("DataSource") > 1 {
		dsName = seg.Spec.DataSourceRef.Name
	}
	if err := dsFiles.decodeOne("DataSource", dsName, strings.Join(o.dataSourceFiles, ", "),
		"the Segment's spec.dataSourceRef", &ds); err != nil {
		return segmentEvalResult{}, fmt.Errorf("--datasource: %w", err)
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
		dsn = os.Getenv(contract.EnvDataSourceDSN)
	}
	segCfg, err := specmap.Segment(&seg.Spec)
	if err != nil {
		return segmentEvalResult{}, fmt.Errorf("segment %s: %w", seg.Name, err)
	}
	cfg, err := connectorConfig(&ds, dsn)
	if err != nil {
		return segmentEvalResult{}, fmt.Errorf("--datasource: %w", err)
	}
	cleanup, err := localData(&cfg, ds.Spec, o.dataDir, dsFiles.configMaps)
	if err != nil {
		return segmentEvalResult{}, err
	}
	defer cleanup()
	bar := newProgress(cmd.ErrOrStderr(), "customers scanned", 0)
	sum, err := metricjob.Run(cmd.Context(), metricjob.Options{
		Namespace: seg.Namespace, Name: seg.Name, Segment: segCfg, Source: cfg,
		Clock:    func() time.Time { return asOf },
		Progress: func(p metricjob.Progress) { bar.Set(int(p.Rows)) },
	})
	bar.Done()
	if err != nil {
		return segmentEvalResult{}, err
	}
	return segmentEvalResult{Segment: seg.Name, AsOf: sum.RunTime, Customers: sum.Customers, Size: sum.Size,
		Metrics: report.Decimals(sum.Metrics), Cohorts: sum.Cohorts}, nil
}

// localData points a file source at its data on this machine: --data when
// given (the ConfigMap's files are mounted at workload.DataDir in a pod, and
// locally they are wherever the user keeps them), else the ConfigMap's
// manifest unpacked into a temporary directory that cleanup removes.
func localData(cfg *sourceconfig.Config, spec v1alpha1.DataSourceSpec, dir string, configMaps map[string]map[string]any) (cleanup func(), err error) {
	cleanup = func() {}
	if spec.File == nil {
		if dir != "" {
			return cleanup, fmt.Errorf("--data applies to file DataSources only; this one is not")
		}
		return cleanup, nil
	}
	ref := spec.File.ConfigMapRef
	if dir == "" {
		if ref == nil {
			return cleanup, nil
		}
		data, ok := configMaps[ref.Name]
		if !ok {
			return cleanup, fmt.Errorf("--data: the DataSource reads ConfigMap %q; give the directory holding its files, or the file defining the ConfigMap with --datasource", ref.Name)
		}
		return unpackConfigMap(cfg, ref, data)
	}
	cfg.Path = dir
	if cfg.Format == sourceconfig.FormatTransactions {
		switch {
		case ref != nil && len(ref.Keys) == 1:
			cfg.Path = filepath.Join(dir, ref.Keys[0])
		case spec.File.Path != "":
			cfg.Path = filepath.Join(dir, filepath.Base(spec.File.Path))
		}
	}
	return cleanup, nil
}

// unpackConfigMap writes a ConfigMap's keys into a temporary directory, as a
// pod would see them mounted, and points cfg at it.
func unpackConfigMap(cfg *sourceconfig.Config, ref *v1alpha1.ConfigMapFiles, data map[string]any) (cleanup func(), err error) {
	cleanup = func() {}
	dir, err := os.MkdirTemp("", "retentionctl-data")
	if err != nil {
		return cleanup, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	for key, v := range data {
		s, _ := v.(string)
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(key)), []byte(s), 0o600); err != nil {
			return cleanup, err
		}
	}
	cfg.Path = dir
	if cfg.Format == sourceconfig.FormatTransactions && len(ref.Keys) > 0 {
		cfg.Path = filepath.Join(dir, ref.Keys[0])
	}
	return cleanup, nil
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
		names := slices.Sorted(maps.Keys(r.Metrics))
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
