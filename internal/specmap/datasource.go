package specmap

import (
	"fmt"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
)

// checkDataSource refuses a DataSource spec no connector could open, for
// reasons that show in the spec alone; DataSource runs it first. What needs
// the pod (the DSN from its Secret, the mounted files) is checked by the
// worker.
func checkDataSource(spec *v1alpha1.DataSourceSpec) error {
	switch set := countSet(spec.Postgres != nil, spec.SQLite != nil, spec.File != nil); {
	case set == 0:
		return fmt.Errorf("data source spec sets none of postgres, sqlite or file; set exactly one")
	case set > 1:
		return fmt.Errorf("data source spec sets %d of postgres, sqlite, file; set exactly one", set)
	}
	switch {
	case spec.SQLite != nil:
		if spec.SQLite.Path == "" {
			return fmt.Errorf("spec.sqlite.path is empty; set it to the database file mounted in the pod")
		}
	case spec.File != nil:
		return checkFileSource(spec.File)
	}
	return nil
}

func checkFileSource(f *v1alpha1.FileSource) error {
	switch f.Format {
	case v1alpha1.FileFormatCSV, v1alpha1.FileFormatNDJSON, v1alpha1.FileFormatTransactions:
	default:
		return fmt.Errorf("spec.file.format %q is not one of CSV, NDJSON, Transactions", f.Format)
	}
	switch {
	case f.Path != "" && f.ConfigMapRef != nil:
		return fmt.Errorf("spec.file sets both path and configMapRef; set exactly one")
	case f.Path == "" && f.ConfigMapRef == nil:
		return fmt.Errorf("spec.file needs path or configMapRef")
	}
	// A transaction log is one file: the one ConfigMap key that holds it.
	if f.Format == v1alpha1.FileFormatTransactions && f.ConfigMapRef != nil && len(f.ConfigMapRef.Keys) != 1 {
		return fmt.Errorf("spec.file.configMapRef.keys: a Transactions source needs exactly one key (the log file), got %d",
			len(f.ConfigMapRef.Keys))
	}
	return nil
}

// countSet counts the true values: how many of a union's members a spec sets.
func countSet(members ...bool) int {
	n := 0
	for _, set := range members {
		if set {
			n++
		}
	}
	return n
}
