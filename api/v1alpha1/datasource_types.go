package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DataSourceSpec says where customer data lives. Exactly one of postgres,
// sqlite or file is set.
// +kubebuilder:validation:XValidation:rule="[has(self.postgres), has(self.sqlite), has(self.file)].filter(x, x).size() == 1",message="exactly one of spec.postgres, spec.sqlite or spec.file must be set"
type DataSourceSpec struct {
	// Postgres reads customers, orders, events and feedback from PostgreSQL.
	// +optional
	Postgres *PostgresSource `json:"postgres,omitempty"`
	// SQLite reads the same tables from an embedded SQLite file.
	// +optional
	SQLite *SQLiteSource `json:"sqlite,omitempty"`
	// File reads CSV or NDJSON files, or a plain transaction log.
	// +optional
	File *FileSource `json:"file,omitempty"`
	// StateStore is where workers keep their state (membership snapshots,
	// journey state, delivery and points ledgers). Without it, workers use an
	// embedded SQLite file on a volume of their own, which suits local runs.
	// +optional
	StateStore *StateStore `json:"stateStore,omitempty"`
	// Ingest runs an ingestion API for this DataSource (Deployment and
	// Service <name>-ingest) that accepts the Segment HTTP Tracking API's
	// calls and stores events and identify traits in the state store, where
	// Playbooks over this DataSource read them. See docs/ingestion.md.
	// +optional
	Ingest *IngestSpec `json:"ingest,omitempty"`
}

// IngestSpec configures a DataSource's ingestion API.
type IngestSpec struct {
	// WriteKeySecretRef names the Secret key holding the write key senders
	// use as the HTTP Basic username (an empty password), as Segment's
	// libraries and destinations do.
	WriteKeySecretRef SecretKeySelector `json:"writeKeySecretRef"`
	// Replicas of the API (default 1); every replica writes the shared state
	// store, and messageId de-duplication holds across them.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=20
	Replicas *int32 `json:"replicas,omitempty"`
}

// PostgresSource connects to PostgreSQL with a DSN kept in a Secret.
type PostgresSource struct {
	// DSNSecretRef names the Secret key holding the connection string
	// (postgres://user:password@host:5432/db?sslmode=require).
	DSNSecretRef SecretKeySelector `json:"dsnSecretRef"`
	// Queries override the default table shapes.
	// +optional
	Queries *SourceQueries `json:"queries,omitempty"`
}

// SQLiteSource reads an SQLite database file.
type SQLiteSource struct {
	// Path of the database file inside the worker pod (mount it with a volume).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Path string `json:"path"`
	// Queries override the default table shapes.
	// +optional
	Queries *SourceQueries `json:"queries,omitempty"`
}

// SourceQueries replace the default queries. Each must return the columns of
// the default table it replaces, e.g. orders: customer_id, order_id, amount,
// occurred_at.
type SourceQueries struct {
	// Customers returns id, email, phone, name, timezone, created_at,
	// attributes, consent_email, consent_sms.
	// +optional
	// +kubebuilder:validation:MaxLength=8192
	Customers string `json:"customers,omitempty"`
	// Orders returns customer_id, order_id, amount, occurred_at.
	// +optional
	// +kubebuilder:validation:MaxLength=8192
	Orders string `json:"orders,omitempty"`
	// Events returns customer_id, type, occurred_at, properties.
	// +optional
	// +kubebuilder:validation:MaxLength=8192
	Events string `json:"events,omitempty"`
	// Feedback returns customer_id, score (0-10), occurred_at.
	// +optional
	// +kubebuilder:validation:MaxLength=8192
	Feedback string `json:"feedback,omitempty"`
}

// FileFormat is the encoding of file data.
// +kubebuilder:validation:Enum=CSV;NDJSON;Transactions
type FileFormat string

const (
	FileFormatCSV          FileFormat = "CSV"
	FileFormatNDJSON       FileFormat = "NDJSON"
	FileFormatTransactions FileFormat = "Transactions"
)

// FileSource reads customer data from files: CSV or NDJSON files named
// customers, orders, events and feedback (with the extension of the format),
// or one plain transaction log (customer id, date, amount) such as CDNOW.
// +kubebuilder:validation:XValidation:rule="has(self.path) != has(self.configMapRef)",message="exactly one of spec.file.path or spec.file.configMapRef must be set"
type FileSource struct {
	// Format of the files.
	Format FileFormat `json:"format"`
	// Path of a directory (CSV/NDJSON) or file (Transactions) in the worker pod.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Path string `json:"path,omitempty"`
	// ConfigMapRef mounts a ConfigMap whose keys are the files (small data sets and demos).
	// +optional
	ConfigMapRef *ConfigMapFiles `json:"configMapRef,omitempty"`
	// Columns maps the columns of a transaction log or orders file.
	// +optional
	Columns *ColumnMapping `json:"columns,omitempty"`
}

// ConfigMapFiles names a ConfigMap and the keys that must be present.
type ConfigMapFiles struct {
	// Name of the ConfigMap.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// Keys that must exist (e.g. customers.csv, orders.csv).
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=8
	Keys []string `json:"keys,omitempty"`
}

// ColumnMapping names the columns that hold each field.
type ColumnMapping struct {
	// CustomerID column (default customer_id).
	// +optional
	CustomerID string `json:"customerId,omitempty"`
	// Timestamp column (default occurred_at; date for Transactions).
	// +optional
	Timestamp string `json:"timestamp,omitempty"`
	// TimestampLayout is a Go time layout such as 2006-01-02 or 20060102 (default RFC 3339 or 2006-01-02).
	// +optional
	TimestampLayout string `json:"timestampLayout,omitempty"`
	// Amount column (default amount).
	// +optional
	Amount string `json:"amount,omitempty"`
	// OrderID column (default order_id; generated from row number when absent).
	// +optional
	OrderID string `json:"orderId,omitempty"`
}

// StateStore points workers at a PostgreSQL database for their state.
type StateStore struct {
	// DSNSecretRef names the Secret key holding the PostgreSQL connection string.
	DSNSecretRef SecretKeySelector `json:"dsnSecretRef"`
}

// DataSourceStatus reports whether the configuration is complete.
type DataSourceStatus struct {
	CommonStatus `json:",inline"`
	// Type is the configured kind of source: Postgres, SQLite or File.
	// +optional
	Type string `json:"type,omitempty"`
	// IngestEndpoint is the in-cluster URL of the ingestion API, when
	// spec.ingest is set.
	// +optional
	IngestEndpoint string `json:"ingestEndpoint,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ds,categories=retention
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.status.type`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// DataSource says where customer data lives: customers, orders, events,
// feedback (NPS) and consent.
type DataSource struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   DataSourceSpec   `json:"spec"`
	Status DataSourceStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// DataSourceList is a list of DataSources.
type DataSourceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DataSource `json:"items"`
}

func init() {
	SchemeBuilder.Register(&DataSource{}, &DataSourceList{})
}
