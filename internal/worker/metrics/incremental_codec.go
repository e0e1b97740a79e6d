package metrics

import (
	"encoding/binary"
	"errors"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource"
)

// aggregate is one customer's stored aggregates: every fact a run needs
// about the customer that does not move with AsOf alone. The feature row's
// recencyDays and tenureDays do move with AsOf and are derived at each run
// (Features.SetTimesAsOf); loyalty and model fields are laid on at each run.
type aggregate struct {
	// hasFeatures: the customer has a customers row (ScanFeatures returned
	// one); buyers known only from orders carry purchase days alone.
	hasFeatures bool
	f           customer.Features
	// hasDays: purchase days for predicted CLV (orders at or before AsOf).
	hasDays bool
	days    datasource.PurchaseDays
	// hasActivity: an order since the activity query's start (retention,
	// churn, cohorts).
	hasActivity bool
	active      bool
	months      uint64
}

// aggregateFormat is the first byte of an encoded row; a new layout takes a
// new value, and the spec hash includes it, so old rows force a full run.
const aggregateFormat = 1

const (
	aggFeatures = 1 << iota
	aggDays
	aggActivity
	aggActive
	aggConsentEmail
	aggConsentSMS
)

// encodeAggregate is a compact binary row: a JSON row per customer would
// make loading every customer's row, which every run does, several times
// slower.
func encodeAggregate(buf []byte, a *aggregate) []byte {
	var flags byte
	set := func(on bool, bit byte) {
		if on {
			flags |= bit
		}
	}
	set(a.hasFeatures, aggFeatures)
	set(a.hasDays, aggDays)
	set(a.hasActivity, aggActivity)
	set(a.active, aggActive)
	set(a.f.ConsentEmail, aggConsentEmail)
	set(a.f.ConsentSMS, aggConsentSMS)
	buf = append(buf, aggregateFormat, flags)
	if a.hasFeatures {
		f := &a.f
		buf = appendString(buf, f.Email)
		buf = appendString(buf, f.TimeZone)
		buf = binary.AppendVarint(buf, f.Frequency)
		buf = appendFloat(buf, f.Monetary)
		buf = appendFloat(buf, f.AverageOrderValue)
		buf = binary.AppendVarint(buf, f.WindowOrders)
		buf = appendFloat(buf, f.WindowSpend)
		buf = appendTime(buf, f.FirstOrderAt)
		buf = appendTime(buf, f.LastOrderAt)
		buf = appendTime(buf, f.CreatedAt)
		buf = binary.AppendVarint(buf, f.NPS)
		keys := slices.Sorted(maps.Keys(f.Attributes))
		buf = binary.AppendUvarint(buf, uint64(len(keys)))
		for _, k := range keys {
			buf = appendString(buf, k)
			buf = appendString(buf, f.Attributes[k])
		}
	}
	if a.hasDays {
		buf = binary.AppendVarint(buf, a.days.Days)
		buf = binary.AppendVarint(buf, a.days.FirstDay)
		buf = binary.AppendVarint(buf, a.days.LastDay)
		buf = appendFloat(buf, a.days.RepeatSpend)
	}
	if a.hasActivity {
		buf = binary.AppendUvarint(buf, a.months)
	}
	return buf
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

func appendFloat(buf []byte, v float64) []byte {
	return binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
}

// appendTime keeps the instant to the nanosecond (Unix seconds, nanoseconds).
func appendTime(buf []byte, t time.Time) []byte {
	buf = binary.AppendVarint(buf, t.Unix())
	return binary.AppendUvarint(buf, uint64(t.Nanosecond()))
}

var errBadAggregate = errors.New("a stored aggregate row is not readable; run the metric job with --full to rebuild the rows")

// aggregateReader decodes one row, remembering the first error.
type aggregateReader struct {
	b   []byte
	err error
}

func (r *aggregateReader) fail() {
	if r.err == nil {
		r.err = errBadAggregate
	}
	r.b = nil
}

func (r *aggregateReader) varint() int64 {
	v, n := binary.Varint(r.b)
	return consumed(r, v, n)
}

func (r *aggregateReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	return consumed(r, v, n)
}

// consumed is v, decoded from the first n bytes of r.b, which it drops; n <= 0
// (binary's signal for a short or overflowing varint) fails the reader.
func consumed[T int64 | uint64](r *aggregateReader, v T, n int) T {
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *aggregateReader) float() float64 {
	if len(r.b) < 8 {
		r.fail()
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return v
}

func (r *aggregateReader) string() string {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *aggregateReader) time() time.Time {
	sec, nsec := r.varint(), r.uvarint()
	if nsec >= 1e9 {
		r.fail()
		return time.Time{}
	}
	t := time.Unix(sec, int64(nsec)).UTC()
	if t.IsZero() {
		return time.Time{}
	}
	return t
}

// decodeAggregate reads a row encodeAggregate wrote into a (id is the
// caller's). interned shares the time zone strings between rows.
func decodeAggregate(b []byte, a *aggregate, interned map[string]string) error {
	if len(b) < 2 || b[0] != aggregateFormat {
		return errBadAggregate
	}
	flags := b[1]
	r := &aggregateReader{b: b[2:]}
	a.hasFeatures, a.hasDays, a.hasActivity = flags&aggFeatures != 0, flags&aggDays != 0, flags&aggActivity != 0
	a.active = flags&aggActive != 0
	if a.hasFeatures {
		f := &a.f
		f.ConsentEmail, f.ConsentSMS = flags&aggConsentEmail != 0, flags&aggConsentSMS != 0
		f.Email = r.string()
		tz := r.string()
		if s, ok := interned[tz]; ok {
			tz = s
		} else {
			interned[tz] = tz
		}
		f.TimeZone = tz
		f.Frequency = r.varint()
		f.Monetary = r.float()
		f.AverageOrderValue = r.float()
		f.WindowOrders = r.varint()
		f.WindowSpend = r.float()
		f.FirstOrderAt = r.time()
		f.LastOrderAt = r.time()
		f.CreatedAt = r.time()
		f.NPS = r.varint()
		n := r.uvarint()
		if n > uint64(len(r.b)) {
			r.fail()
			n = 0
		}
		f.Attributes = make(map[string]string, n)
		for range n {
			k := r.string()
			f.Attributes[k] = r.string()
		}
	}
	if a.hasDays {
		a.days.Days, a.days.FirstDay, a.days.LastDay = r.varint(), r.varint(), r.varint()
		a.days.RepeatSpend = r.float()
	}
	if a.hasActivity {
		a.months = r.uvarint()
	}
	if r.err == nil && len(r.b) != 0 {
		return errBadAggregate
	}
	return r.err
}
