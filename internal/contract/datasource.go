package contract

import (
	"fmt"
	"path/filepath"

	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
)

// Connector is the configuration a process opens: dsn (the value of
// EnvDataSourceDSN) filled in for postgres, and a Mounted path rooted at
// dataDir, where the data mount is for this process (workload.Paths.Data).
// Confining paths to the mount (sourceconfig.Config.Root) is the worker's
// call: the CLI reads the user's own files.
func (d DataSource) Connector(dataDir, dsn string) (sourceconfig.Config, error) {
	cfg := d.Config
	if cfg.Kind == sourceconfig.KindPostgres {
		if dsn == "" {
			from := "its Secret"
			if s := d.DSNSecret; s != nil {
				from = fmt.Sprintf("the Secret %s key %s", s.Name, s.Key)
			}
			return cfg, fmt.Errorf("spec.postgres: no DSN; set %s from %s", EnvDataSourceDSN, from)
		}
		cfg.DSN = dsn
	}
	if d.Mounted {
		cfg.Path = filepath.Join(dataDir, cfg.Path)
	}
	return cfg, nil
}
