package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// Contact is how a customer is reached and what they agreed to: the
// identify traits a stored customer row holds.
type Contact struct {
	Email        string
	Phone        string
	Name         string
	TimeZone     string
	ConsentEmail *bool
	ConsentSMS   *bool
}

// TraitUpdate is what one identify call says about a customer. Empty
// strings and nil consents leave the stored value as it was; Attributes are
// merged key by key into the stored ones (a JSON object).
type TraitUpdate struct {
	CustomerID string
	Contact
	Attributes json.RawMessage
	// At is the identify's timestamp: an update older than the stored one
	// is ignored, so a late retry never undoes a newer identify.
	At time.Time
}

// Traits is a customer's stored identify traits.
type Traits struct {
	CustomerID string
	Contact
	Attributes map[string]string
	UpdatedAt  time.Time
}

func upsertTraits(ctx context.Context, tx *Tx, source string, u *TraitUpdate) error {
	merge := `(ingest_traits.attributes::jsonb || excluded.attributes::jsonb)::text`
	if tx.db.Dialect == SQLite {
		merge = `json_patch(ingest_traits.attributes, excluded.attributes)`
	}
	_, err := tx.Exec(ctx, `INSERT INTO ingest_traits (source, customer_id, email, phone, name, time_zone,
	consent_email, consent_sms, attributes, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (source, customer_id) DO UPDATE SET
	email = CASE WHEN excluded.email <> '' THEN excluded.email ELSE ingest_traits.email END,
	phone = CASE WHEN excluded.phone <> '' THEN excluded.phone ELSE ingest_traits.phone END,
	name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE ingest_traits.name END,
	time_zone = CASE WHEN excluded.time_zone <> '' THEN excluded.time_zone ELSE ingest_traits.time_zone END,
	consent_email = COALESCE(excluded.consent_email, ingest_traits.consent_email),
	consent_sms = COALESCE(excluded.consent_sms, ingest_traits.consent_sms),
	attributes = `+merge+`,
	updated_at = excluded.updated_at
WHERE excluded.updated_at >= ingest_traits.updated_at`,
		source, u.CustomerID, u.Email, u.Phone, u.Name, u.TimeZone, boolInt(u.ConsentEmail), boolInt(u.ConsentSMS),
		jsonObject(u.Attributes), u.At.UnixMicro())
	if err != nil {
		return fmt.Errorf("ingest: update traits: %w", err)
	}
	return nil
}

func boolInt(b *bool) any {
	if b == nil {
		return nil
	}
	if *b {
		return 1
	}
	return 0
}

// IngestedTraits calls fn with every customer's stored traits for source.
func (db *DB) IngestedTraits(ctx context.Context, source string, fn func(*Traits) error) error {
	rows, err := db.Query(ctx, `SELECT customer_id, email, phone, name, time_zone, consent_email, consent_sms,
	attributes, updated_at FROM ingest_traits WHERE source = $1 ORDER BY customer_id`, source)
	if err != nil {
		return fmt.Errorf("ingested traits: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t Traits
		var ce, cs sql.NullInt64
		var attrs string
		var at int64
		if err := rows.Scan(&t.CustomerID, &t.Email, &t.Phone, &t.Name, &t.TimeZone, &ce, &cs, &attrs, &at); err != nil {
			return fmt.Errorf("ingested traits: %w", err)
		}
		t.ConsentEmail, t.ConsentSMS = nullBool(ce), nullBool(cs)
		t.Attributes = flattenProperties(attrs)
		t.UpdatedAt = time.UnixMicro(at).UTC()
		if err := fn(&t); err != nil {
			return err
		}
	}
	return rows.Err()
}

func nullBool(v sql.NullInt64) *bool {
	if !v.Valid {
		return nil
	}
	b := v.Int64 != 0
	return &b
}

// Apply lays a customer's latest identify over the DataSource's row (a nil
// t changes nothing):
// the ingested email, time zone and consent win where the identify set them,
// custom traits are added to (and win over) the row's attributes. They feed
// the criteria, the membership snapshot's feature rows, and through those the
// campaign worker's templates and consent checks.
func (t *Traits) Apply(f *customer.Features) {
	if t == nil {
		return
	}
	if t.Email != "" {
		f.Email = t.Email
	}
	if t.TimeZone != "" {
		f.TimeZone = t.TimeZone
	}
	if t.ConsentEmail != nil {
		f.ConsentEmail = *t.ConsentEmail
	}
	if t.ConsentSMS != nil {
		f.ConsentSMS = *t.ConsentSMS
	}
	if len(t.Attributes) > 0 {
		attrs := make(map[string]string, len(f.Attributes)+len(t.Attributes))
		for k, v := range f.Attributes {
			attrs[k] = v
		}
		for k, v := range t.Attributes {
			attrs[k] = v
		}
		f.Attributes = attrs
	}
}
