package datasource

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	"github.com/retention-dev/retention-operator/internal/redact"
	store "github.com/retention-dev/retention-operator/internal/store/sqldb"
)

// postgresConnector computes features with pgx directly (binary protocol,
// decoding raw column bytes into one reused Features) and reads the plain
// tables through database/sql on the same pool.
type postgresConnector struct {
	sqlConnector
	pool *pgxpool.Pool
}

func openPostgres(ctx context.Context, cfg sourceconfig.Config) (*postgresConnector, error) {
	pcfg, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		// pgx's parse errors can quote the DSN; say what is wrong without it.
		return nil, fmt.Errorf("datasource postgres: dsn is not a valid connection URL (expected postgres://user@host:5432/db): %s", redact.Error(err, cfg.DSN))
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("datasource postgres: %s", redact.Error(err, cfg.DSN))
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		cc := pcfg.ConnConfig
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			// The server answered: authentication, a missing database, ...
			return nil, fmt.Errorf("datasource postgres: host %s port %d refused the connection (database %q, user %q): %s; check user, password and database",
				cc.Host, cc.Port, cc.Database, cc.User, redact.Error(err, cc.Password))
		}
		return nil, fmt.Errorf("datasource postgres: cannot reach host %s port %d (database %q, user %q): %s",
			cc.Host, cc.Port, cc.Database, cc.User, redact.Error(err, cc.Password))
	}
	db := &store.DB{DB: stdlib.OpenDBFromPool(pool), Dialect: store.Postgres}
	c := &postgresConnector{sqlConnector: sqlConnector{db: db, cfg: cfg}, pool: pool}
	c.featureScan = c.scanFeatures
	return c, nil
}

func (c *postgresConnector) Close() error {
	err := c.db.Close()
	c.pool.Close()
	return err
}

// scanFeatures runs the features query, with aq's activity columns when aq
// is not nil (fn's activity argument is then filled, else zero), and decodes
// each row's binary values in place. The only allocations per row are the
// three strings and the attribute keys/values the callback gets.
func (c *postgresConnector) scanFeatures(ctx context.Context, q FeatureQuery, aq *ActivityQuery, fn func(*customer.Features, *OrderActivity) error) error {
	sql := featuresSQL(store.Postgres, c.cfg.Queries, q, aq)
	// The text changes with every AsOf, so caching it as a prepared statement
	// would only fill the per-connection cache; describe-then-execute costs
	// one round trip per scan and still returns binary columns.
	args := append([]any{pgx.QueryExecModeDescribeExec}, q.Args...)
	rows, err := c.pool.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("datasource postgres: features query: %w", err)
	}
	defer rows.Close()
	f, a := newFeatureRow()
	cols, err := bindFeatureColumns(rows.FieldDescriptions(), featureFields(f, a))
	if err != nil {
		return err
	}
	in := interner{}
	for rows.Next() {
		if err := decodeFeatureRow(rows.RawValues(), cols, f, in); err != nil {
			return err
		}
		a.CustomerID = f.ID
		if err := fn(f, a); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("datasource postgres: features query: %w", err)
	}
	return nil
}

// featureColumn says where raw column i goes.
type featureColumn struct {
	name   string
	oid    uint32
	binary bool
	// field points at the Features or OrderActivity field the column is
	// decoded into (featureFields); nil for the columns decodeFeatureRow
	// handles by name, and for any it does not know.
	field any
}

// featureFields maps the features query's plain columns to the fields of the
// one Features and OrderActivity a scan decodes every row into.
func featureFields(f *customer.Features, a *OrderActivity) map[string]any {
	return map[string]any{
		"id": &f.ID, "email": &f.Email, "recencyDays": &f.RecencyDays, "frequency": &f.Frequency,
		"monetary": &f.Monetary, "averageOrderValue": &f.AverageOrderValue, "tenureDays": &f.TenureDays,
		"windowOrders": &f.WindowOrders, "windowSpend": &f.WindowSpend, "firstOrderAt": &f.FirstOrderAt,
		"lastOrderAt": &f.LastOrderAt, "createdAt": &f.CreatedAt, "nps": &f.NPS,
		"consentEmail": &f.ConsentEmail, "consentSMS": &f.ConsentSMS,
		colOrderActive: &a.Active, colOrderMonths: &a.Months,
	}
}

// Binary type OIDs the features query produces.
const (
	oidBool        = 16
	oidInt8        = 20
	oidInt4        = 23
	oidText        = 25
	oidJSON        = 114
	oidFloat8      = 701
	oidVarchar     = 1043
	oidTimestamptz = 1184
	oidJSONB       = 3802
)

func bindFeatureColumns(fds []pgconn.FieldDescription, fields map[string]any) ([]featureColumn, error) {
	cols := make([]featureColumn, len(fds))
	for i, fd := range fds {
		binary := fd.Format == pgx.BinaryFormatCode
		// pgx asks for text, json and jsonb in text format (same bytes, or the
		// JSON text); everything numeric must be binary for in-place decoding.
		switch fd.DataTypeOID {
		case oidText, oidVarchar, oidJSON, oidJSONB:
		default:
			if !binary {
				return nil, fmt.Errorf("datasource postgres: column %q came back in text format; the connector needs the extended (binary) protocol", fd.Name)
			}
		}
		cols[i] = featureColumn{name: fd.Name, oid: fd.DataTypeOID, binary: binary, field: fields[fd.Name]}
	}
	return cols, nil
}

// pgEpochMicros is 2000-01-01 (PostgreSQL's timestamp epoch) in Unix microseconds.
const pgEpochMicros = 946684800 * 1_000_000

func decodeFeatureRow(raw [][]byte, cols []featureColumn, f *customer.Features, in interner) error {
	for i, b := range raw {
		col := cols[i]
		if b == nil {
			return fmt.Errorf("datasource postgres: feature column %q is NULL; the features query must COALESCE it", col.name)
		}
		switch field := col.field.(type) {
		case *string:
			*field = string(b)
		case *float64:
			*field = pgFloat(b, col)
		case *int64:
			*field = pgInt(b, col)
		case *uint64:
			*field = uint64(pgInt(b, col))
		case *time.Time:
			*field = pgTime(b)
		case *bool:
			*field = len(b) == 1 && b[0] == 1
		case nil:
			if err := decodeFeatureText(col, b, f, in); err != nil {
				return err
			}
		}
	}
	return nil
}

// decodeFeatureText decodes the columns that go through the scan's interner.
func decodeFeatureText(col featureColumn, b []byte, f *customer.Features, in interner) error {
	switch col.name {
	case "timeZone":
		f.TimeZone = in.str(b) // a few dozen zones shared by all customers
	case "attributes":
		if col.oid == oidJSONB && col.binary && len(b) > 0 {
			b = b[1:] // jsonb binary format: version byte 1, then the JSON text
		}
		if err := parseAttributesInterned(b, f.Attributes, in); err != nil {
			return fmt.Errorf("datasource postgres: features column \"attributes\": %w", err)
		}
	}
	return nil
}

func pgFloat(b []byte, col featureColumn) float64 {
	if col.oid == oidFloat8 && len(b) == 8 {
		return math.Float64frombits(binary.BigEndian.Uint64(b))
	}
	return float64(pgInt(b, col))
}

func pgInt(b []byte, col featureColumn) int64 {
	switch len(b) {
	case 8:
		if col.oid == oidFloat8 {
			return int64(math.Float64frombits(binary.BigEndian.Uint64(b)))
		}
		return int64(binary.BigEndian.Uint64(b))
	case 4:
		return int64(int32(binary.BigEndian.Uint32(b)))
	case 2:
		return int64(int16(binary.BigEndian.Uint16(b)))
	}
	return 0
}

// pgZeroMicros is Go's zero time (0001-01-01 UTC) in PostgreSQL microseconds.
var pgZeroMicros = time.Time{}.UnixMicro() - pgEpochMicros

func pgTime(b []byte) time.Time {
	if len(b) != 8 {
		return time.Time{}
	}
	us := int64(binary.BigEndian.Uint64(b))
	if us == pgZeroMicros || us == math.MaxInt64 || us == math.MinInt64 {
		return time.Time{}
	}
	return time.UnixMicro(us + pgEpochMicros).UTC()
}
