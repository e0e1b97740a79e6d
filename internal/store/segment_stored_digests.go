package store

import (
	"bytes"
	"context"
	"crypto/md5" //nolint:gosec // see segment_row_digest.go
	"database/sql"
	"slices"
	"strings"
)

// storedDigests are a segment's stored members, sorted by id, each with the
// digest of its stored row and whether that row is stored without times:
// what the diff of UpdateSegmentSnapshotRows compares the run's rows with.
// The ids sit back to back in one buffer, so a member costs its id's bytes
// and about 22 more, where a map of strings to digests cost about 70 (a
// metric job holds one entry per member, a million of them, for the whole
// scan). Lookups are binary searches.
type storedDigests struct {
	ids      []byte   // every id, back to back, in byte order
	ends     []uint32 // member i's id is ids[ends[i-1]:ends[i]] (from 0 for i = 0)
	digests  [][md5.Size]byte
	timeless []bool
	seen     []bool // set by the diff for each member the run still has
}

func (s *storedDigests) len() int { return len(s.ends) }

func (s *storedDigests) key(i int) []byte {
	start := uint32(0)
	if i > 0 {
		start = s.ends[i-1]
	}
	return s.ids[start:s.ends[i]]
}

// find is the index of id, or -1.
func (s *storedDigests) find(id string) int {
	lo, hi := 0, s.len()
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if string(s.key(mid)) < id { // no allocation: the compiler compares in place
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < s.len() && string(s.key(lo)) == id {
		return lo
	}
	return -1
}

// unseen are the ids of the members the diff did not mark seen: the leavers.
func (s *storedDigests) unseen() []string {
	var out []string
	for i, seen := range s.seen {
		if !seen {
			out = append(out, string(s.key(i)))
		}
	}
	return out
}

// storedMemberDigests reads ref's members with the digest stored with
// their rows (16 bytes a member: neither the rows nor their hashing cross
// the wire or cost the database CPU). The two tables are read by two plain
// scans and joined here: a join in SQL is planned from statistics that a
// first run's fresh rows do not have yet (a nested loop over every member,
// measured at 1 s for 41,000). The members are sorted in Go, not by ORDER
// BY, whose collation need not be byte order.
//
// orphans are rows without a membership (none is written so; a crash of an
// older version could leave them), deleted with the leavers' rows.
func storedMemberDigests(ctx context.Context, tx *Tx, ref SegmentRef) (out *storedDigests, orphans []string, err error) {
	var read storedDigests
	rows, err := tx.Query(ctx, `SELECT customer_id FROM segment_members WHERE segment = $1`, ref.Key())
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var id sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&id); err != nil {
			return nil, nil, err
		}
		read.ids = append(read.ids, id...)
		read.ends = append(read.ends, uint32(len(read.ids)))
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	rows.Close()
	out = sortedDigests(&read)
	rows, err = tx.Query(ctx, `SELECT customer_id, times_at_read, digest FROM segment_member_features WHERE segment = $1`, ref.Key())
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var timeless int
	var b sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&id, &timeless, &b); err != nil {
			return nil, nil, err
		}
		i := out.find(string(id))
		if i < 0 {
			orphans = append(orphans, strings.Clone(string(id)))
			continue
		}
		out.timeless[i] = timeless == 1 && len(b) == md5.Size
		copy(out.digests[i][:], b)
	}
	return out, orphans, rows.Err()
}

// sortedDigests is read's ids in byte order, with room for each member's
// digest and marks.
func sortedDigests(read *storedDigests) *storedDigests {
	order := make([]int32, read.len())
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		return bytes.Compare(read.key(int(a)), read.key(int(b)))
	})
	n := len(order)
	out := &storedDigests{ids: make([]byte, 0, len(read.ids)), ends: make([]uint32, 0, n),
		digests: make([][md5.Size]byte, n), timeless: make([]bool, n), seen: make([]bool, n)}
	for _, i := range order {
		out.ids = append(out.ids, read.key(int(i))...)
		out.ends = append(out.ends, uint32(len(out.ids)))
	}
	return out
}
