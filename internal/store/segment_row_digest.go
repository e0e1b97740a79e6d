package store

import (
	"crypto/md5" //nolint:gosec // a change detector between our own rows, not a security boundary
	"encoding/binary"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/retention-dev/retention-operator/internal/clv"
	"github.com/retention-dev/retention-operator/internal/customer"
)

// timelessDigest is the digest stored beside a times_at_read = 1 row: the
// MD5 of a binary encoding of every field the row's JSON holds. Deciding
// that a member's row is unchanged then costs this encoding (about a tenth
// of encoding the JSON, which a profile showed to be most of the job's CPU
// in a small day's run) and JSON is produced only for rows that are written.
// A field the JSON holds must be here, or a change to it alone would not be
// written: TestTimelessDigestCoversEveryField changes each field of
// customer.Features and clv.ScoreInputs in turn.
func timelessDigest(buf []byte, f *customer.Features, score *clv.ScoreInputs) ([md5.Size]byte, []byte) {
	b := buf[:0]
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	i64 := func(v int64) { b = binary.AppendVarint(b, v) }
	f64 := func(v float64) { b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v)) }
	flag := func(v bool) {
		if v {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	when := func(t time.Time) { // the JSON keeps the instant and the offset
		_, offset := t.Zone()
		i64(t.Unix())
		i64(int64(t.Nanosecond()))
		i64(int64(offset))
	}
	b = append(b, 2) // layout version: a change of layout rewrites every row once
	str(f.ID)
	str(f.Email)
	str(f.TimeZone)
	// RecencyDays and TenureDays are not stored (derived when read).
	i64(f.Frequency)
	f64(f.Monetary)
	f64(f.AverageOrderValue)
	i64(f.WindowOrders)
	f64(f.WindowSpend)
	when(f.FirstOrderAt)
	when(f.LastOrderAt)
	when(f.CreatedAt)
	i64(f.NPS)
	str(f.LoyaltyTier)
	i64(f.LoyaltyPoints)
	if score == nil { // with a score they are not stored (derived when read)
		f64(f.ChurnProbability)
		f64(f.PredictedCLV)
	}
	flag(f.ConsentEmail)
	flag(f.ConsentSMS)
	flag(f.Attributes == nil) // null and {} are different JSON
	keys := slices.Sorted(maps.Keys(f.Attributes))
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		str(k)
		str(f.Attributes[k])
	}
	flag(score != nil)
	if score != nil {
		f64(score.RepeatSpend)
		i64(int64(score.Days))
		i64(int64(score.FirstDay))
		i64(int64(score.LastDay))
	}
	return md5.Sum(b), b //nolint:gosec // see the import
}
