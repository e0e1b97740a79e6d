package idset

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// Sorted finds every id it was given, and no other, whatever order they
// were added in; Permute keeps each value beside its id.
func TestSortedFindsWhatWasAdded(t *testing.T) {
	ids := []string{"c10", "c2", "", "c1", "é", "c100", "C1"}
	var b Builder
	var values []int
	for _, i := range rand.Perm(len(ids)) {
		b.AddString(ids[i])
		values = append(values, len(ids[i]))
	}
	s, order := b.Sort()
	values = Permute(values, order)
	slices.Sort(ids)
	for i, id := range ids {
		if got := s.Find(id); got != i || s.ID(i) != id || values[i] != len(id) {
			t.Errorf("Find(%q) = %d (id %q, value %d), want %d", id, got, s.ID(i), values[i], i)
		}
	}
	for _, id := range []string{"c", "c11", "d", "c1000"} {
		if got := s.Find(id); got != -1 {
			t.Errorf("Find(%q) = %d, want -1", id, got)
		}
	}
	if b.s.Len() != 0 {
		t.Error("the builder still holds ids after Sort")
	}
}

// Find compares ids in place: a lookup per streamed row allocates nothing.
func TestFindDoesNotAllocate(t *testing.T) {
	var b Builder
	for _, id := range []string{"c1", "c2", "c3", "customer-000123456789-with-an-id-past-32-bytes"} {
		b.AddString(id)
	}
	s, _ := b.Sort()
	if n := testing.AllocsPerRun(100, func() {
		s.Find("customer-000123456789-with-an-id-past-32-bytes")
		s.Find("c2")
		s.Find("zz")
	}); n != 0 {
		t.Errorf("Find allocates %v times a call", n)
	}
}
