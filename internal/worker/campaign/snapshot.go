package campaign

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/journey"
)

// InitialMembers says what a segment-entry playbook does with the customers
// already in the segment the first time it reads the metric job's membership.
type InitialMembers string

const (
	// InitialMembersEnrol enrols the current members (the default).
	InitialMembersEnrol InitialMembers = "Enrol"
	// InitialMembersSkip enrols only customers who enter later.
	InitialMembersSkip InitialMembers = "Skip"
)

// customerReadChunk bounds the ids of one per-customer features query.
const customerReadChunk = 500

// memberSnapshot is this shard's copy of the metric job's membership and
// the members' feature rows. It is read again only when a newer successful
// metric run has landed, so a poll with no new run reads nothing.
type memberSnapshot struct {
	at      time.Time // LastSuccessAt of the run loaded; zero before one
	members map[string]bool
	feats   map[string]*customer.Features
	// rowsRead counts the member rows read from the state store and
	// customersRead the feature rows read from the data source, over the
	// worker's life (logged on reload; tests assert on them).
	rowsRead, customersRead int64
	waitingLogged           bool
}

// snapshotCustomers returns the feature rows and members the tick works on
// when membership comes from the metric job (Options.Segment).
func (w *worker) snapshotCustomers(ctx context.Context, now time.Time) (map[string]*customer.Features, map[string]bool, error) {
	ref := *w.o.Segment
	run, ok, err := w.db.LastSegmentRun(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	s := &w.snap
	if !ok || run.LastSuccessAt.IsZero() {
		if !s.waitingLogged {
			w.o.Logger.Info("waiting for the segment's first successful metric run; nobody is enrolled before it",
				"playbook", w.pb.Name, "segment", ref.Key())
			s.waitingLogged = true
		}
		return w.withoutMembers(ctx, now)
	}
	if s.members != nil && run.LastSuccessAt.Equal(s.at) {
		return s.feats, s.members, nil
	}
	members := map[string]bool{}
	feats := map[string]*customer.Features{}
	var missing []string
	var rows int64
	err = w.db.SegmentMemberRows(ctx, ref, w.o.Shard, w.o.Shards, func(id string, f *customer.Features) error {
		rows++
		if journey.Shard(id, w.o.Shards) != w.o.Shard {
			return nil
		}
		members[id] = true
		if f == nil {
			missing = append(missing, id)
		} else {
			feats[id] = f
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	s.rowsRead += rows
	// A journey outlives its customer's membership: its remaining steps see
	// the customer's last known row, or the data source's when none is known.
	for id, st := range w.states {
		if feats[id] != nil || members[id] || st.Status != journey.Active {
			continue
		}
		if f := s.feats[id]; f != nil {
			feats[id] = f
		} else {
			missing = append(missing, id)
		}
	}
	if err := w.readCustomers(ctx, now, missing, feats); err != nil {
		return nil, nil, err
	}
	w.o.Logger.Info("segment membership loaded from the metric job", "playbook", w.pb.Name, "segment", ref.Key(),
		"runAt", run.LastSuccessAt, "members", len(members), "storedRows", rows, "readFromSource", len(missing))
	s.at, s.members, s.feats = run.LastSuccessAt, members, feats
	return feats, members, nil
}

// withoutMembers is the tick's view before the first metric run: no
// members, and rows only for customers with active journeys.
func (w *worker) withoutMembers(ctx context.Context, now time.Time) (map[string]*customer.Features, map[string]bool, error) {
	feats := map[string]*customer.Features{}
	var ids []string
	for id, st := range w.states {
		if st.Status == journey.Active {
			ids = append(ids, id)
		}
	}
	return feats, map[string]bool{}, w.readCustomers(ctx, now, ids, feats)
}

// readCustomers reads the feature rows of ids from the data source, a chunk
// at a time, into feats (copies: the connector reuses its struct).
func (w *worker) readCustomers(ctx context.Context, now time.Time, ids []string, feats map[string]*customer.Features) error {
	sort.Strings(ids)
	for start := 0; start < len(ids); start += customerReadChunk {
		part := ids[start:min(start+customerReadChunk, len(ids))]
		want := make(map[string]bool, len(part))
		for _, id := range part {
			want[id] = true
		}
		err := w.o.Source.ScanFeatures(ctx, datasource.CustomerFeatureQuery(now, 0, part), func(f *customer.Features) error {
			if !want[f.ID] {
				return nil
			}
			feats[f.ID] = copyFeatures(f)
			w.snap.customersRead++
			return nil
		})
		if err != nil {
			return fmt.Errorf("read customers: %w", err)
		}
	}
	return nil
}

func copyFeatures(f *customer.Features) *customer.Features {
	c := *f
	c.Attributes = make(map[string]string, len(f.Attributes))
	for k, v := range f.Attributes {
		c.Attributes[k] = v
	}
	return &c
}

// refreshRows replaces the stored rows of the customers this tick advances
// with their current rows from the data source, so consent, address and
// attributes are those of send time, not of the last metric run; the
// predicted features and loyalty figures stay the snapshot's (only the
// metric job computes predictions). A customer the source no longer has
// loses its row: nothing can be sent without a consent to show.
func (w *worker) refreshRows(ctx context.Context, now time.Time, ids []string, feats map[string]*customer.Features) error {
	if len(ids) == 0 {
		return nil
	}
	fresh := make(map[string]*customer.Features, len(ids))
	if err := w.readCustomers(ctx, now, append([]string(nil), ids...), fresh); err != nil {
		return err
	}
	for _, id := range ids {
		f := fresh[id]
		if f == nil {
			delete(feats, id)
			continue
		}
		if old := feats[id]; old != nil {
			f.ChurnProbability, f.PredictedCLV = old.ChurnProbability, old.PredictedCLV
			f.LoyaltyTier, f.LoyaltyPoints = old.LoyaltyTier, old.LoyaltyPoints
		}
		feats[id] = f
	}
	return nil
}
