package contract

// IngestWriteKeyDir is where a DataSource's write-key Secret is mounted under
// workload.SecretsDir (ingest-write-key/<key>).
const IngestWriteKeyDir = "ingest-write-key"

// Ingest is what the ingestion API reads: the source its events are stored
// under and the Secret key (file name in IngestWriteKeyDir) of the write key.
type Ingest struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Source is "<namespace>/<DataSource>": campaign workers read the events
	// of their Segment's DataSource under this name.
	Source      string `json:"source"`
	WriteKeyKey string `json:"writeKeyKey"`
}

// IngestSource is the source name of a DataSource's ingested events.
func IngestSource(namespace, dataSource string) string { return namespace + "/" + dataSource }
