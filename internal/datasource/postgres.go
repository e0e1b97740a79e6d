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
	return &postgresConnector{sqlConnector: sqlConnector{db: db, cfg: cfg}, pool: pool}, nil
}

func (c *postgresConnector) Close() error {
	err := c.db.Close()
	c.pool.Close()
	return err
}

// ScanFeatures runs the features query and decodes each row's binary values in
// place. The only allocations per row are the three strings and the
// attribute keys/values the callback gets.
func (c *postgresConnector) ScanFeatures(ctx context.Context, q FeatureQuery, fn func(*customer.Features) error) error {
	return c.scanFeatures(ctx, q, nil, func(f *customer.Features, _ *OrderActivity) error { return fn(f) })
}

// ScanFeaturesActivity implements FeatureActivityScanner.
func (c *postgresConnector) ScanFeaturesActivity(ctx context.Context, q FeatureQuery, aq ActivityQuery, fn func(*customer.Features, *OrderActivity) error) error {
	if err := checkActivity("postgres", q, aq); err != nil {
		return err
	}
	return c.scanFeatures(ctx, q, &aq, fn)
}

// scanFeatures runs the features query, with aq's activity columns when aq
// is not nil (fn's activity argument is then filled, else zero).
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
	cols, err := bindFeatureColumns(rows.FieldDescriptions())
	if err != nil {
		return err
	}
	var f customer.Features
	var a OrderActivity
	f.Attributes = map[string]string{}
	in := interner{}
	for rows.Next() {
		if err := decodeFeatureRow(rows.RawValues(), cols, &f, &a, in); err != nil {
			return err
		}
		a.CustomerID = f.ID
		if err := fn(&f, &a); err != nil {
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

func bindFeatureColumns(fds []pgconn.FieldDescription) ([]featureColumn, error) {
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
		cols[i] = featureColumn{name: fd.Name, oid: fd.DataTypeOID, binary: binary}
	}
	return cols, nil
}

// pgEpochMicros is 2000-01-01 (PostgreSQL's timestamp epoch) in Unix microseconds.
const pgEpochMicros = 946684800 * 1_000_000

func decodeFeatureRow(raw [][]byte, cols []featureColumn, f *customer.Features, a *OrderActivity, in interner) error {
	for i, b := range raw {
		col := cols[i]
		if b == nil {
			return fmt.Errorf("datasource postgres: feature column %q is NULL; the features query must COALESCE it", col.name)
		}
		switch col.name {
		case "id":
			f.ID = string(b)
		case "email":
			f.Email = string(b)
		case "timeZone":
			f.TimeZone = in.str(b) // a few dozen zones shared by all customers
		case "recencyDays":
			f.RecencyDays = pgFloat(b, col)
		case "frequency":
			f.Frequency = pgInt(b, col)
		case "monetary":
			f.Monetary = pgFloat(b, col)
		case "averageOrderValue":
			f.AverageOrderValue = pgFloat(b, col)
		case "tenureDays":
			f.TenureDays = pgFloat(b, col)
		case "windowOrders":
			f.WindowOrders = pgInt(b, col)
		case "windowSpend":
			f.WindowSpend = pgFloat(b, col)
		case "firstOrderAt":
			f.FirstOrderAt = pgTime(b)
		case "lastOrderAt":
			f.LastOrderAt = pgTime(b)
		case "createdAt":
			f.CreatedAt = pgTime(b)
		case "nps":
			f.NPS = pgInt(b, col)
		case "consentEmail":
			f.ConsentEmail = len(b) == 1 && b[0] == 1
		case "consentSMS":
			f.ConsentSMS = len(b) == 1 && b[0] == 1
		case colOrderActive:
			a.Active = len(b) == 1 && b[0] == 1
		case colOrderMonths:
			a.Months = uint64(pgInt(b, col))
		case "attributes":
			if col.oid == oidJSONB && col.binary && len(b) > 0 {
				b = b[1:] // jsonb binary format: version byte 1, then the JSON text
			}
			if err := parseAttributesInterned(b, f.Attributes, in); err != nil {
				return fmt.Errorf("datasource postgres: features column \"attributes\": %w", err)
			}
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
