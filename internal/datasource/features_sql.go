package datasource

import (
	"strconv"
	"strings"
	"time"

	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	store "github.com/retention-dev/retention-operator/internal/store/sqldb"
)

// Feature column names, in the order the features query returns them. Where
// predicates refer to these (double-quoted) names.
var FeatureColumns = []string{
	"id", "email", "timeZone", "recencyDays", "frequency", "monetary", "averageOrderValue",
	"tenureDays", "windowOrders", "windowSpend", "firstOrderAt", "lastOrderAt", "createdAt",
	"nps", "consentEmail", "consentSMS", "attributes",
}

// The features query computes, per customer created at or before AsOf:
//
//	recencyDays       = (asOf - coalesce(lastOrderAt, createdAt)) / 86400 s
//	frequency         = count(orders with occurred_at <= asOf)
//	monetary          = sum(amount) over the same orders
//	averageOrderValue = monetary / frequency (0 when frequency = 0)
//	tenureDays        = (asOf - coalesce(createdAt, firstOrderAt)) / 86400 s
//	windowOrders      = count(orders with asOf-window < occurred_at <= asOf), windowSpend their sum
//	nps               = score of the latest feedback at or before asOf (ties: the higher score), -1 without
//
// Missing timestamps come back as 0001-01-01T00:00:00Z, Go's zero time, so no
// column is ever NULL. PostgreSQL sums amounts as numeric, exactly, so a
// customer's sums do not depend on the order the plan feeds the rows in
// (a double precision column summed as float8 could differ in the last bit
// between a sharded and an unsharded run, whose plans differ). Orders are aggregated in a sub-select before the join so
// PostgreSQL hashes 10M orders once instead of joining them to customers first.
const featuresPostgres = `SELECT c.id::text AS "id",
	COALESCE(c.email, '')::text AS "email",
	COALESCE(c.timezone, '')::text AS "timeZone",
	COALESCE(date_part('epoch', {asOf} - COALESCE(o.last_at, c.created_at)) / 86400.0, 0)::float8 AS "recencyDays",
	COALESCE(o.n, 0)::int8 AS "frequency",
	COALESCE(o.total, 0)::float8 AS "monetary",
	(CASE WHEN o.n > 0 THEN o.total / o.n ELSE 0 END)::float8 AS "averageOrderValue",
	COALESCE(date_part('epoch', {asOf} - COALESCE(c.created_at, o.first_at)) / 86400.0, 0)::float8 AS "tenureDays",
	COALESCE(o.wn, 0)::int8 AS "windowOrders",
	COALESCE(o.ws, 0)::float8 AS "windowSpend",
	COALESCE(o.first_at, {zero}) AS "firstOrderAt",
	COALESCE(o.last_at, {zero}) AS "lastOrderAt",
	COALESCE(c.created_at, {zero}) AS "createdAt",
	COALESCE(fb.score, -1)::int8 AS "nps",
	COALESCE(c.consent_email, false) AS "consentEmail",
	COALESCE(c.consent_sms, false) AS "consentSMS",
	COALESCE(c.attributes::jsonb, '{}'::jsonb) AS "attributes"{activityColumns}
FROM {customers} c
LEFT JOIN (
	SELECT customer_id, count(*) AS n, sum(amount::numeric)::float8 AS total,
		min(occurred_at) AS first_at, max(occurred_at) AS last_at,
		count(*) FILTER (WHERE occurred_at > {windowStart}) AS wn,
		sum(amount::numeric) FILTER (WHERE occurred_at > {windowStart})::float8 AS ws{activityAggregates}
	FROM {orders} ord
	WHERE occurred_at <= {asOf}
	GROUP BY customer_id) o ON o.customer_id = c.id
LEFT JOIN (
	SELECT DISTINCT ON (customer_id) customer_id, score
	FROM {feedback} fbk
	WHERE occurred_at <= {asOf}
	ORDER BY customer_id, occurred_at DESC, score DESC) fb ON fb.customer_id = c.id
WHERE c.created_at IS NULL OR c.created_at <= {asOf}`

// SQLite has no timestamp type: instants are compared as unixepoch() seconds
// (millisecond precision) and returned as ISO-8601 UTC text, which sorts and
// compares like the instant it names.
const featuresSQLite = `SELECT c.id AS "id",
	COALESCE(c.email, '') AS "email",
	COALESCE(c.timezone, '') AS "timeZone",
	COALESCE(({asOf} - COALESCE(o.last_s, c.created_s)) / 86400.0, 0.0) AS "recencyDays",
	COALESCE(o.n, 0) AS "frequency",
	COALESCE(o.total, 0.0) AS "monetary",
	CASE WHEN o.n > 0 THEN o.total / o.n ELSE 0.0 END AS "averageOrderValue",
	COALESCE(({asOf} - COALESCE(c.created_s, o.first_s)) / 86400.0, 0.0) AS "tenureDays",
	COALESCE(o.wn, 0) AS "windowOrders",
	COALESCE(o.ws, 0.0) AS "windowSpend",
	COALESCE(strftime('%Y-%m-%dT%H:%M:%fZ', o.first_s, 'unixepoch'), {zero}) AS "firstOrderAt",
	COALESCE(strftime('%Y-%m-%dT%H:%M:%fZ', o.last_s, 'unixepoch'), {zero}) AS "lastOrderAt",
	COALESCE(strftime('%Y-%m-%dT%H:%M:%fZ', c.created_s, 'unixepoch'), {zero}) AS "createdAt",
	COALESCE(fb.score, -1) AS "nps",
	COALESCE(c.consent_email, 0) AS "consentEmail",
	COALESCE(c.consent_sms, 0) AS "consentSMS",
	COALESCE(c.attributes, '{}') AS "attributes"{activityColumns}
FROM (SELECT cu.*, unixepoch(cu.created_at, 'subsec') AS created_s FROM {customers} cu) c
LEFT JOIN (
	SELECT customer_id, count(*) AS n, total(amount) AS total,
		min(s) AS first_s, max(s) AS last_s,
		sum(s > {windowStart}) AS wn,
		total(CASE WHEN s > {windowStart} THEN amount ELSE 0.0 END) AS ws{activityAggregates}
	FROM (SELECT customer_id, amount, occurred_at, unixepoch(occurred_at, 'subsec') AS s FROM {orders} ord)
	WHERE s <= {asOf}
	GROUP BY customer_id) o ON o.customer_id = c.id
LEFT JOIN (
	SELECT customer_id, score FROM (
		SELECT customer_id, score,
			row_number() OVER (PARTITION BY customer_id ORDER BY s DESC, score DESC) AS rn
		FROM (SELECT customer_id, score, unixepoch(occurred_at, 'subsec') AS s FROM {feedback} fbk)
		WHERE s <= {asOf})
	WHERE rn = 1) fb ON fb.customer_id = c.id
WHERE c.created_s IS NULL OR c.created_s <= {asOf}`

// zeroISO is Go's zero time as the ISO text SQLite features return.
const zeroISO = "0001-01-01T00:00:00.000Z"

// FeaturesSQL returns the features query for dialect d as of q.AsOf over
// q.Window, with the tables replaced by cfg's query overrides, wrapped as
// SELECT * FROM (...) f WHERE <q.Where> when a predicate is given. AsOf and the
// window start are inlined as literals so Where's $1.. bind q.Args unchanged
// (and so psql can run the very same text for benchmarks).
//
// Column types a predicate sees: PostgreSQL gives text, float8, int8,
// timestamptz, boolean and jsonb ("attributes"->>'plan'); SQLite gives TEXT,
// REAL, INTEGER, booleans as 0/1, timestamps as ISO-8601 UTC text
// (2024-06-30T12:00:00.000Z, which compares in time order) and attributes as
// JSON text (json_extract("attributes", '$.plan')).
func FeaturesSQL(d store.Dialect, qs sourceconfig.Queries, q FeatureQuery) string {
	return featuresSQL(d, qs, q, nil)
}

// featuresSQL is FeaturesSQL, with the order activity aq asks for added as
// two more columns when aq is not nil (features_activity.go).
func featuresSQL(d store.Dialect, qs sourceconfig.Queries, q FeatureQuery, aq *ActivityQuery) string {
	asOf := q.AsOf.UTC()
	windowStart := asOf
	if q.Window > 0 {
		windowStart = asOf.Add(-q.Window)
	}
	var tmpl string
	var r *strings.Replacer
	if d == store.SQLite {
		tmpl = featuresSQLite
		r = strings.NewReplacer(
			"{asOf}", epochLiteral(asOf),
			"{windowStart}", epochLiteral(windowStart),
			"{zero}", "'"+zeroISO+"'",
			"{customers}", source(qs.Customers, "customers"),
			"{orders}", source(qs.Orders, "orders"),
			"{feedback}", source(qs.Feedback, "feedback"),
			"{activityColumns}", activityColumns(d, aq),
			"{activityAggregates}", activityAggregates(d, aq))
	} else {
		tmpl = featuresPostgres
		r = strings.NewReplacer(
			"{asOf}", timestampLiteral(asOf),
			"{windowStart}", timestampLiteral(windowStart),
			"{zero}", "timestamptz '0001-01-01 00:00:00+00'",
			"{customers}", source(qs.Customers, "customers"),
			"{orders}", source(qs.Orders, "orders"),
			"{feedback}", source(qs.Feedback, "feedback"),
			"{activityColumns}", activityColumns(d, aq),
			"{activityAggregates}", activityAggregates(d, aq))
	}
	sql := r.Replace(tmpl)
	if strings.TrimSpace(q.Where) != "" {
		sql = "SELECT * FROM (" + sql + ") f WHERE " + q.Where
	}
	return sql
}

// source is a table name or a parenthesised override query.
func source(override, table string) string {
	if strings.TrimSpace(override) == "" {
		return table
	}
	return "(" + strings.TrimRight(strings.TrimSpace(override), ";") + ")"
}

func timestampLiteral(t time.Time) string {
	return "timestamptz '" + t.Format("2006-01-02 15:04:05.999999Z07:00") + "'"
}

// epochLiteral is t as fractional Unix seconds, the unit unixepoch() returns.
func epochLiteral(t time.Time) string {
	s := float64(t.Unix()) + float64(t.Nanosecond())/1e9
	return strconv.FormatFloat(s, 'f', -1, 64)
}
