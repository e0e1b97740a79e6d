package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/specmap"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// previewInputs are the manifests a preview runs: the Playbook, its
// Segment and DataSource, the Channels that were given, and any ConfigMap
// (demo data sources keep their CSV files in one).
type previewInputs struct {
	playbook   *v1alpha1.Playbook
	segment    *v1alpha1.Segment
	dataSource *v1alpha1.DataSource
	channels   map[string]journey.ChannelKind
	// defaulted lists channels not given, previewed as email.
	defaulted  []string
	configMaps map[string]map[string]any
	// event is --event: the triggering event messages are rendered with.
	event *journey.TriggerEvent
}

// loadPreviewInputs lints the files (as `lint --allow-external-refs`, so
// nothing is previewed that the cluster would reject) and picks the objects.
func loadPreviewInputs(ctx context.Context, playbookFile, segmentFile string, dataSourceFiles, channelFiles []string, playbookName string) (*previewInputs, []problem, error) {
	files := append([]string{playbookFile, segmentFile}, dataSourceFiles...)
	files = append(files, channelFiles...)
	l, err := newLinter(true)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	var unique []string
	for _, f := range files {
		if f != "" && !seen[f] {
			seen[f] = true
			unique = append(unique, f)
		}
	}
	probs := l.lintFiles(ctx, unique, nil)
	if countErrors(probs) > 0 {
		return nil, probs, fmt.Errorf("the manifests have errors; fix them first")
	}
	in := &previewInputs{channels: map[string]journey.ChannelKind{}, configMaps: map[string]map[string]any{}}
	var playbooks []*document
	for _, d := range l.docs {
		switch {
		case d.kind == "Playbook" && d.file == playbookFile:
			playbooks = append(playbooks, d)
		case d.kind == "Channel":
			if ch, ok := typed[v1alpha1.Channel](d); ok {
				in.channels[ch.Name] = specmap.ChannelKind(&ch.Spec)
			}
		case d.kind == "ConfigMap" && d.apiVersion == "v1":
			data, _ := d.obj["data"].(map[string]any)
			in.configMaps[d.name] = data
		}
	}
	pbDoc, err := pick(playbooks, playbookName, "Playbook", playbookFile, "--name")
	if err != nil {
		return nil, nil, err
	}
	in.playbook, _ = typed[v1alpha1.Playbook](pbDoc)
	segDoc, err := findByName(l.docs, "Segment", in.playbook.Spec.SegmentRef.Name, segmentFile)
	if err != nil {
		return nil, nil, err
	}
	in.segment, _ = typed[v1alpha1.Segment](segDoc)
	dsDoc, err := findByName(l.docs, "DataSource", in.segment.Spec.DataSourceRef.Name, strings.Join(dataSourceFiles, ", "))
	if err != nil {
		return nil, nil, err
	}
	in.dataSource, _ = typed[v1alpha1.DataSource](dsDoc)
	for _, s := range in.playbook.Spec.Steps {
		if s.Send == nil {
			continue
		}
		names := []string{s.Send.ChannelRef.Name}
		for _, v := range s.Send.Variants {
			if v.ChannelRef != nil {
				names = append(names, v.ChannelRef.Name)
			}
		}
		for _, name := range names {
			if _, ok := in.channels[name]; !ok {
				in.channels[name] = journey.KindEmail
				in.defaulted = append(in.defaulted, name)
			}
		}
	}
	return in, probs, nil
}

// pick chooses among docs of one kind: the one named, or the only one.
// Several and no name is refused, listing the names and nameFlag (what sets
// the name), because silently taking the first would evaluate the wrong object.
func pick(docs []*document, name, kind, file, nameFlag string) (*document, error) {
	if name != "" {
		for _, d := range docs {
			if d.name == name {
				return d, nil
			}
		}
		return nil, fmt.Errorf("no %s named %q in %s", kind, name, file)
	}
	switch len(docs) {
	case 0:
		return nil, fmt.Errorf("no %s in %s", kind, file)
	case 1:
		return docs[0], nil
	}
	names := make([]string, len(docs))
	for i, d := range docs {
		names[i] = d.name
	}
	return nil, fmt.Errorf("%s holds %d %ss (%s); choose one with %s", file, len(docs), kind, strings.Join(names, ", "), nameFlag)
}

func findByName(docs []*document, kind, name, where string) (*document, error) {
	for _, d := range docs {
		if d.kind == kind && d.name == name {
			return d, nil
		}
	}
	return nil, fmt.Errorf("%s %q is not in %s", kind, name, where)
}

// dataSourceConfig turns the DataSource into a connector configuration
// for this machine: --data overrides the file or directory; a source kept
// in a ConfigMap is unpacked into a temporary directory when the ConfigMap
// is among the given files; a PostgreSQL source needs --dsn (or
// RETENTION_DATASOURCE_DSN). cleanup removes what was unpacked.
func (in *previewInputs) dataSourceConfig(dataPath, dsn string) (cfg sourceconfig.Config, describe string, cleanup func(), err error) {
	cleanup = func() {}
	spec := in.dataSource.Spec
	if dsn == "" {
		dsn = os.Getenv("RETENTION_DATASOURCE_DSN")
	}
	if spec.Postgres != nil && dsn == "" {
		return cfg, "", cleanup, fmt.Errorf("DataSource %s reads PostgreSQL: pass --dsn postgres://... (the value of Secret %s key %s)",
			in.dataSource.Name, spec.Postgres.DSNSecretRef.Name, spec.Postgres.DSNSecretRef.Key)
	}
	cfg, err = connectorConfig(in.dataSource, dsn)
	if err != nil {
		return cfg, "", cleanup, err
	}
	switch {
	case spec.Postgres != nil:
		return cfg, "PostgreSQL (--dsn)", cleanup, nil
	case dataPath != "":
		cfg.Path = dataPath
		return cfg, dataPath, cleanup, nil
	case spec.File != nil && spec.File.ConfigMapRef != nil:
		ref := spec.File.ConfigMapRef
		data, ok := in.configMaps[ref.Name]
		if !ok {
			return cfg, "", cleanup, fmt.Errorf("DataSource %s reads ConfigMap %s: pass the file that defines it with --datasource, or the data with --data DIR", in.dataSource.Name, ref.Name)
		}
		if cleanup, err = unpackConfigMap(&cfg, ref, data); err != nil {
			return cfg, "", cleanup, err
		}
		return cfg, "ConfigMap " + ref.Name, cleanup, nil
	}
	return cfg, cfg.Path, cleanup, nil
}

// connectorConfig maps the DataSource as the controllers render it and fills
// in what a pod would hold: the DSN, and the data mount at its container
// path (callers point a file source at the user's data themselves).
func connectorConfig(ds *v1alpha1.DataSource, dsn string) (sourceconfig.Config, error) {
	rendered, err := specmap.DataSource(ds.Namespace, ds.Name, &ds.Spec)
	if err != nil {
		return sourceconfig.Config{}, err
	}
	return rendered.Connector(workload.DataDir, dsn)
}
